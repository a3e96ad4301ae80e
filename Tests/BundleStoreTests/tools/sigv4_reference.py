#!/usr/bin/env python3
"""botocore's SigV4 header signing of one request, as the reference for SigV4Signer.

Reads a JSON object on stdin:
  accessKey, secretKey, token (optional), region, service,
  s3 (bool: S3SigV4Auth, which signs the path as is and adds x-amz-content-sha256),
  payload ("body" to hash the body, "unsigned" for UNSIGNED-PAYLOAD; S3 only),
  timestamp ("20150830T123600Z"), method, url ("https://host/path" with the request-line
  path), query ([[name, value], ...] decoded), headers ([[name, value], ...]), body (text).
Prints a JSON object: canonicalRequest, stringToSign, authorization, headers.
"""
import datetime
import json
import sys
import types

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def recording(base):
    class Recording(base):
        def canonical_request(self, request):
            self.recorded_canonical_request = super().canonical_request(request)
            return self.recorded_canonical_request

        def string_to_sign(self, request, canonical_request):
            self.recorded_string_to_sign = super().string_to_sign(request, canonical_request)
            return self.recorded_string_to_sign

    return Recording


def main():
    spec = json.load(sys.stdin)
    fixed = datetime.datetime.strptime(spec["timestamp"], "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda *args, **kwargs: fixed

    credentials = Credentials(spec["accessKey"], spec["secretKey"], spec.get("token"))
    base = botocore.auth.S3SigV4Auth if spec.get("s3") else botocore.auth.SigV4Auth
    auth = recording(base)(credentials, spec["service"], spec["region"])

    request = AWSRequest(method=spec["method"], url=spec["url"], data=spec.get("body", "").encode("utf-8"))
    for name, value in spec.get("headers", []):
        request.headers[name] = value  # HTTPHeaders appends, so repeated fields stay repeated
    if spec.get("query"):
        request.params = [tuple(item) for item in spec["query"]]
    if spec.get("payload") == "unsigned":
        request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": False})

    auth.add_auth(request)
    json.dump(
        {
            "canonicalRequest": auth.recorded_canonical_request,
            "stringToSign": auth.recorded_string_to_sign,
            "authorization": request.headers["Authorization"],
            "headers": [[name, value] for name, value in request.headers.items()],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
