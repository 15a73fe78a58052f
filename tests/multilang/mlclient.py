# mlclient.py - a multilang client library for gale's tests, written from
# the protocol (docs/multilang.md, STORM-SURFACE.md §2): the API has the
# shape of Storm's storm.py (Bolt, BasicBolt, Spout, emit, ack, log, ...)
# so that scripts written against it run on Storm's storm.py unchanged,
# and scripts written for storm.py run on it.
#
# gale extension (Storm ignores the key): done() makes the spout's next
# `sync` carry "done": true, telling gale that a bounded source ended.
import json
import os
import sys
import traceback

_stdin = sys.stdin.buffer
_stdout = sys.stdout.buffer

# Commands or tuples read while waiting for task ids, and task ids read
# while waiting for a command: each waits in its own queue.
_pending_commands = []
_pending_taskids = []
_done = False
_anchor_tuple = None        # BasicBolt: the tuple being processed


def _read_message():
    """One JSON document up to the line `end`; exits on EOF."""
    lines = []
    while True:
        line = _stdin.readline()
        if not line:
            raise EOFError("Read EOF from stdin")
        line = line.decode("utf-8").rstrip("\n")
        if line == "end":
            break
        lines.append(line)
    return json.loads("\n".join(lines))


def send_msg(msg):
    _stdout.write(json.dumps(msg, ensure_ascii=False).encode("utf-8"))
    _stdout.write(b"\nend\n")
    _stdout.flush()


sendMsgToParent = send_msg


def read_task_ids():
    if _pending_taskids:
        return _pending_taskids.pop(0)
    while True:
        msg = _read_message()
        if isinstance(msg, list):
            return msg
        _pending_commands.append(msg)


def read_command():
    if _pending_commands:
        return _pending_commands.pop(0)
    while True:
        msg = _read_message()
        if isinstance(msg, list):
            _pending_taskids.append(msg)
        else:
            return msg


readCommand = read_command
readTaskIds = read_task_ids


def sync():
    global _done
    msg = {"command": "sync"}
    if _done:
        msg["done"] = True
    send_msg(msg)


def done():
    """gale: this spout's input has ended (sent with the next sync)."""
    global _done
    _done = True


def send_pid(pid_dir):
    pid = os.getpid()
    send_msg({"pid": pid})
    open(os.path.join(pid_dir, str(pid)), "w").close()


def emit(tup, stream=None, anchors=None, direct_task=None, id=None,
         need_task_ids=True):
    """Emits tup; returns the task ids it went to (None when
    need_task_ids is false or it is a direct emit)."""
    msg = {"command": "emit", "tuple": list(tup)}
    if stream is not None:
        msg["stream"] = stream
    if id is not None:
        msg["id"] = id
    if direct_task is not None:
        msg["task"] = direct_task
    if anchors is None and _anchor_tuple is not None:
        anchors = [_anchor_tuple]
    if anchors:
        msg["anchors"] = [a.id if isinstance(a, Tuple) else a for a in anchors]
    if not need_task_ids:
        msg["need_task_ids"] = False
    send_msg(msg)
    if direct_task is None and need_task_ids:
        return read_task_ids()
    return None


def emitDirect(task, tup, stream=None, anchors=None, id=None):
    emit(tup, stream=stream, anchors=anchors, direct_task=task, id=id)


def ack(tup):
    send_msg({"command": "ack", "id": tup.id})


def fail(tup):
    send_msg({"command": "fail", "id": tup.id})


def reportError(msg):
    send_msg({"command": "error", "msg": msg})


def log(msg, level=2):
    send_msg({"command": "log", "msg": msg, "level": level})


def logTrace(msg):
    log(msg, 0)


def logDebug(msg):
    log(msg, 1)


def logInfo(msg):
    log(msg, 2)


def logWarn(msg):
    log(msg, 3)


def logError(msg):
    log(msg, 4)


def rpcMetrics(name, params):
    send_msg({"command": "metrics", "name": name, "params": params})


class Tuple(object):
    def __init__(self, id, component, stream, task, values):
        self.id = id
        self.component = component
        self.stream = stream
        self.task = task
        self.values = values

    def is_heartbeat_tuple(self):
        return self.task == -1 and self.stream == "__heartbeat"

    def is_tick_tuple(self):
        return self.task == -1 and self.stream == "__tick"

    def __repr__(self):
        return "<Tuple %s %s:%s %r>" % (self.id, self.component, self.stream,
                                        self.values)


def _read_tuple():
    cmd = read_command()
    return Tuple(cmd["id"], cmd["comp"], cmd["stream"], cmd["task"],
                 cmd["tuple"])


readTuple = _read_tuple


def init_component():
    """The handshake: returns (conf, context)."""
    setup = _read_message()
    send_pid(setup["pidDir"])
    return setup["conf"], setup["context"]


initComponent = init_component


def _fatal(e):
    try:
        reportError(traceback.format_exc())
    except Exception:
        pass
    sys.exit(0 if isinstance(e, EOFError) else 1)


class Bolt(object):
    def initialize(self, stormconf, context):
        pass

    def process(self, tup):
        pass

    def run(self):
        conf, context = init_component()
        try:
            self.initialize(conf, context)
            while True:
                tup = _read_tuple()
                if tup.is_heartbeat_tuple():
                    sync()
                else:
                    self.process(tup)
        except Exception as e:
            _fatal(e)


class BasicBolt(object):
    """Anchors emits to the tuple being processed, acks after process()
    and fails (reporting the error) when it raises."""

    def initialize(self, stormconf, context):
        pass

    def process(self, tup):
        pass

    def run(self):
        global _anchor_tuple
        conf, context = init_component()
        try:
            self.initialize(conf, context)
            while True:
                tup = _read_tuple()
                if tup.is_heartbeat_tuple():
                    sync()
                    continue
                _anchor_tuple = tup
                try:
                    self.process(tup)
                    ack(tup)
                except Exception:
                    reportError(traceback.format_exc())
                    fail(tup)
                finally:
                    _anchor_tuple = None
        except Exception as e:
            _fatal(e)


class Spout(object):
    def initialize(self, conf, context):
        pass

    def activate(self):
        pass

    def deactivate(self):
        pass

    def ack(self, id):
        pass

    def fail(self, id):
        pass

    def nextTuple(self):
        pass

    def run(self):
        conf, context = init_component()
        try:
            self.initialize(conf, context)
            while True:
                msg = read_command()
                cmd = msg["command"]
                if cmd == "next":
                    self.nextTuple()
                elif cmd == "ack":
                    self.ack(msg["id"])
                elif cmd == "fail":
                    self.fail(msg["id"])
                elif cmd == "activate":
                    self.activate()
                elif cmd == "deactivate":
                    self.deactivate()
                sync()
        except Exception as e:
            _fatal(e)
