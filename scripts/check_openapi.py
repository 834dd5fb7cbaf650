"""Checks convmock's /openapi.json with a schema-driven tool, for every profile.

Starts the built binary on a free port once per profile, fetches the document and validates
it with openapi-spec-validator (the OpenAPI 3.1 rules and JSON Schema). Exits non-zero on the
first invalid document.

    python scripts/check_openapi.py target/debug/convmock
"""

import json
import subprocess
import sys
import urllib.request

from openapi_spec_validator import validate

binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/convmock"
checked = 0
for profile in ("self", "oblic", "protocol"):
    proc = subprocess.Popen(
        [binary, "--port", "0", "--quiet", "--profile", profile],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().split()[-1]
        with urllib.request.urlopen(url + "/openapi.json", timeout=10) as resp:
            spec = json.load(resp)
        validate(spec)
        operations = sum(
            1
            for item in spec["paths"].values()
            for method in ("get", "head", "post", "put", "delete")
            if method in item
        )
        print(f"openapi.json ({profile}): valid OpenAPI {spec['openapi']}, {operations} operations")
        checked += 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
print(f"openapi.json is valid in all {checked} profiles")
