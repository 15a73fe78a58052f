# storm.py - lets scripts written for Storm's storm.py (`import storm`)
# run on gale's test client library, mlclient.py.
from mlclient import *  # noqa: F401,F403
