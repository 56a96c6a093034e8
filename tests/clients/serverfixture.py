"""A server child process for client tests: started with its argv, ready when
its stderr says so, stopped with SIGTERM (SIGKILL after a timeout), its log
kept in the test's own working directory until cleanup removes it."""
import os
import shutil
import signal
import subprocess
import time


class ServerProcess:
    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None
        self.log = None

    def launch(self, argv, ready, timeout=30):
        """Starts argv; returns the stderr text up to the first line containing `ready` (bytes)."""
        self.log = open(os.path.join(self.workdir, "server.log"), "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.PIPE)
        deadline = time.time() + timeout
        text = b""
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            text += line
            self.log.write(line)
            if ready in line:
                return text
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError(f"{argv[0]} did not start:\n" + text.decode(errors="replace"))

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        self.stop()
        if self.proc:
            self.proc.stderr.close()
            self.log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
