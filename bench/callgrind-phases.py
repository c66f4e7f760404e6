#!/usr/bin/env python3
"""Instruction counts of isacx-server per phase of the TAXII benchmark, which
do not depend on the machine's load: runs the server under callgrind (SQLite,
loopback), zeroes the counters before and dumps them after 4 envelopes of 500
POSTed, 3 pages of 1000 pulled and 50 single GETs, and prints the totals.

Usage (the venv of bench/run.sh; valgrind installed):
  PY_VENV/bin/python bench/callgrind-phases.py target/release/isacx-server TAG
Dumps: /tmp/cg-TAG.PID.N (open with callgrind_annotate)."""
import importlib.util, os, sys, time, tempfile, subprocess, glob
spec = importlib.util.spec_from_file_location("tl", os.path.join(os.path.dirname(os.path.abspath(__file__)), "taxii-load.py"))
tl = importlib.util.module_from_spec(spec); spec.loader.exec_module(tl)
binary, tag = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "run")
d = tempfile.mkdtemp(prefix="cg-")
class CgIsacx(tl.Isacx):
    def start(self):
        import subprocess as sp
        self.admin("create-admin", "--username", "bench", stdin=tl.PASSWORD + "\n")
        key = self.admin("create-api-key", "--username", "bench", "--role", "admin", "--label", "bench").splitlines()[-1]
        log_file = open(self.log_path, "wb")
        self.process = sp.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file=/tmp/cg-{tag}.%p",
                                 self.binary, "--config", self.config, "serve"], stdin=sp.DEVNULL, stdout=log_file, stderr=sp.STDOUT)
        self.session = tl.new_session(("bench", key))
        while not os.path.exists(self.ca):
            time.sleep(0.2)
        self.session.verify = self.ca
        self.wait_until_up(f"{self.base}/taxii2/", timeout=300)
        cols = self.session.get(f"{self.base}/taxii2/api/collections/", headers={"Accept": tl.TAXII}).json()["collections"]
        cid = next(c["id"] for c in cols if c.get("alias") == "all-sectors")
        self.objects_url = f"{self.base}/taxii2/api/collections/{cid}/objects/"
        return self
s = CgIsacx("cg", binary, d, f"sqlite://{d}/isacx.db").start()
def ctl(*a):
    subprocess.run(["callgrind_control", *a, str(s.process.pid)], capture_output=True)
try:
    bodies = tl.envelopes(0, 3000, 500)
    tl.post_all(s, bodies[:2], 900)  # warm up
    ctl("-z")
    tl.post_all(s, bodies[2:], 900)   # 4 envelopes
    ctl("--dump=ingest4")
    ids = [i for b, _ in bodies for i in b]
    ctl("-z")
    tl.pull_all(s, 3000, 1000, 900)
    ctl("--dump=pull3")
    ctl("-z")
    tl.single_gets(s, ids, 50, 900)
    ctl("--dump=get50")
finally:
    s.stop()
per = {"ingest4": 4, "pull3": 3, "get50": 50}
for f in sorted(glob.glob(f"/tmp/cg-{tag}.*.*")):
    fields = dict(l.split(": ", 1) for l in open(f) if l.startswith(("desc: Trigger", "totals")))
    phase = fields.get("desc", "").rsplit(" ", 1)[-1].strip()
    total = int(fields.get("totals", "0").strip())
    print(f"{phase}: {total:,} instructions, {total / per.get(phase, 1):,.0f} per unit  ({f})")
