# splitsentence.py - the split bolt of Storm's word count, as a multilang
# script: the same file runs on Storm (beside Storm's storm.py) and on
# gale (beside any storm.py; gale's examples use its test client library,
# tests/multilang/mlclient.py, through tests/multilang/storm.py).
import storm


class SplitSentenceBolt(storm.BasicBolt):
    def process(self, tup):
        words = tup.values[0].split(" ")
        for word in words:
            if word:
                storm.emit([word])


SplitSentenceBolt().run()
