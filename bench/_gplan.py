"""python /tmp/G/plan.py DBURL ROLE PATH [k=v ...]: EXPLAIN the costliest reads of a page."""
import sys, json
from bench.scale import _setup
_setup(sys.argv[1])
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.test import Client
from bench.common import sign_in
from bench.seed import user_of
role, path = sys.argv[2], sys.argv[3]
params = dict(a.split("=", 1) for a in sys.argv[4:] if not a.startswith("HX"))
headers = {"HX-Request": "true", "HX-Target": "results"} if "HX" in sys.argv else {}
c = Client(); sign_in(c, user_of(role))
c.get(path, params, headers=headers)
with CaptureQueriesContext(connection) as ctx:
    r = c.get(path, params, headers=headers)
print(r.status_code)
with connection.cursor() as cur:
    out = []
    for q in ctx.captured_queries:
        sql = q["sql"]
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")): continue
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        lines = [r[0] for r in cur.fetchall()]
        b = 0
        for l in lines:
            if "Buffers:" in l:
                import re
                b = sum(int(x) for x in re.findall(r"=(\d+)", l)); break
        out.append((b, sql, lines))
    for b, sql, lines in sorted(out, key=lambda x: -x[0])[:int(__import__('os').environ.get("TOP", "2"))]:
        print("=====", b, sql[:int(__import__('os').environ.get("SQLW", "3000"))]); print("\n".join(lines))
