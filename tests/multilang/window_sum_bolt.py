# window_sum_bolt.py - a shell bolt that receives whole windows: each tuple
# from a `window` bolt with aggregate = "collect" is [key, start, end,
# values], values the window's list; it emits [key, start, end, sum].
# Unchanged storm.py: a window is one ordinary tuple with a list field.
import storm


class WindowSumBolt(storm.BasicBolt):
    def process(self, tup):
        key, start, end, values = tup.values
        storm.emit([key, start, end, sum(values)])


WindowSumBolt().run()
