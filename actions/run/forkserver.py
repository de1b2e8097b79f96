"""Deck workers forked from a warm server: both ends of its protocol.

Every deck is built in a process of its own (killed alone on its timeout), but
starting Python and importing lxml, Pillow and altdeck costs ~0.2 s of CPU per
deck: on two cores, in a build of many small decks, that is time the model's
slots wait.  So a build starts one server process that imports all of it
once; each deck's worker is a fork of it, ready in milliseconds, in a new
session (its own process group, killed as one), its stdin, stdout and stderr
and the deck's result and process-group pipes handed over as file
descriptors (SCM_RIGHTS).

The server (`python -P -m <altdeck>.run.forkserver CONTROL_FD`) is
single-threaded, as a process that forks must be.  On the control socket it
receives a request with five descriptors and answers `pid N`; when a child
ends it sends `exit N CODE` (CODE < 0: killed by that signal).  When the build
goes away (the socket closes, even on kill -9) it kills its children's groups
and exits.
"""
import gc
import os
import select
import signal
import socket
import subprocess
import sys
import threading

from ..procs import altdeck_python, kill_group, with_pythonpath

_FDS = 5          # stdin, stdout, stderr, result, process groups


# -- the server (a process of its own) -------------------------------------------------------

def serve(control_fd: int) -> int:
    from . import deckproc
    deckproc.preload()                       # what every deck needs, imported once for all of them
    gc.freeze()              # the imports stay shared with every worker: their GC never walks (so copies) them
    sock = socket.socket(fileno=control_fd)
    children = set()
    wake_r, wake_w = os.pipe()              # a child's end wakes the loop at once (SIGCHLD)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        readable, _, _ = select.select([sock, wake_r], [], [], 1.0)
        if wake_r in readable:
            os.read(wake_r, 512)
        _reap(sock, children)
        if sock not in readable:
            continue
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 64, _FDS)
        except OSError:
            msg, fds = b"", []
        if not msg:                          # the build is gone: so are its decks
            for pid in children:
                kill_group(pid)
            for pid in children:             # reaped, so no zombie looks like a live writer of its temp files
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
            return 0
        if len(fds) != _FDS:
            for fd in fds:
                os.close(fd)
            sock.sendall(b"pid 0\n")
            continue
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.close(wake_r)
            os.close(wake_w)
            _child(sock, fds)                # never returns
        for fd in fds:
            os.close(fd)
        children.add(pid)
        sock.sendall(f"pid {pid}\n".encode())


def _reap(sock, children):
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        try:
            sock.sendall(f"exit {pid} {code}\n".encode())
        except OSError:
            pass


def _child(sock, fds):
    code = 1
    try:
        sock.close()
        os.setsid()                                    # its own process group: killed as one
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        stdin, stdout, stderr, result, groups = fds
        for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        from . import deckproc
        code = deckproc.worker_main([str(result), str(groups)])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:                              # noqa: B036 - the deck's stderr says why
        import traceback
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


# -- the build's side ------------------------------------------------------------------------

class ForkServer:
    """A warm server for one course folder; fork() gives a worker's pid, wait() its exit code."""

    def __init__(self, cwd):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            argv, pythonpath = altdeck_python("run.forkserver", str(child.fileno()))
            self.proc = subprocess.Popen(argv, cwd=cwd, env=with_pythonpath(os.environ, pythonpath),
                                         pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        finally:
            child.close()
        self.sock, self.cwd = parent, str(cwd)
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._pids, self._exits = [], {}
        threading.Thread(target=self._read, daemon=True, name="altdeck-forkserver").start()

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._pids.append(0)
                    self._exits[None] = True           # the server is gone
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                parts = line.decode().split()
                with self._cond:
                    if parts[0] == "pid":
                        self._pids.append(int(parts[1]))
                    elif parts[0] == "exit":
                        self._exits[int(parts[1])] = int(parts[2])
                    self._cond.notify_all()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None and None not in self._exits

    def fork(self, fds) -> int:
        """A new worker with these (stdin, stdout, stderr, result, groups) descriptors; its pid, or 0."""
        with self._send_lock:
            try:
                socket.send_fds(self.sock, [b"fork"], list(fds))
            except OSError:
                return 0
            with self._cond:
                self._cond.wait_for(lambda: self._pids)
                return self._pids.pop(0)

    def wait(self, pid: int, timeout=None):
        """The worker's exit code (negative: the signal that killed it), or None on timeout."""
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits or None in self._exits, timeout)
            if pid in self._exits:
                return self._exits.pop(pid)
            return -signal.SIGKILL if None in self._exits else None

    def close(self, wait: bool = True):
        """End the server: it kills what is left of its workers and exits. `wait=False`: return at once
        (its Python takes ~15 ms to finish) and call wait_closed() later, after other work."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
        except OSError:
            pass
        if wait:
            self.wait_closed()

    def wait_closed(self):
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            kill_group(self.proc.pid)
            self.proc.wait()


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1])))
