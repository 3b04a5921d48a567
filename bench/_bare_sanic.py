"""``python _bare_sanic.py PORT``: the baseline of ``rest_writes.py``, a bare Sanic handler.

Every ``POST`` parses its JSON body and answers ``{"status": "ok"}``: the least any REST
write can cost on Sanic, measured in the same run as DataCat's routes.
"""

from __future__ import annotations

import json
import sys

from sanic import Sanic
from sanic.response import json as json_answer

app = Sanic("bare")


@app.post("/<path:path>")
async def write(request, path: str):
    json.loads(request.body)
    return json_answer({"status": "ok"})


@app.get("/health")
async def health(request):
    return json_answer({"status": "ok"})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), single_process=True, access_log=False,
            motd=False)
