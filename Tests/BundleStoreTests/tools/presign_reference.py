#!/usr/bin/env python3
"""botocore's generate_presigned_url for one S3 object, as the reference for presigned URLs.

Reads a JSON object on stdin:
  accessKey, secretKey, token (optional), region, endpoint ("https://s3.us-east-1.amazonaws.com"),
  addressingStyle ("path" or "virtual"), operation ("get_object", "put_object", "upload_part"),
  params ([["Bucket", ...], ["Key", ...], ...] in order: botocore keeps the order of operation
  query items), expires (seconds), timestamp ("20130524T000000Z").
Prints a JSON object: url.
"""
import datetime
import json
import sys

import botocore.auth
import botocore.session
from botocore.config import Config


def main():
    spec = json.load(sys.stdin)
    fixed = datetime.datetime.strptime(spec["timestamp"], "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda *args, **kwargs: fixed

    client = botocore.session.get_session().create_client(
        "s3",
        region_name=spec["region"],
        endpoint_url=spec["endpoint"],
        aws_access_key_id=spec["accessKey"],
        aws_secret_access_key=spec["secretKey"],
        aws_session_token=spec.get("token"),
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": spec["addressingStyle"]},
            request_checksum_calculation="when_required",
        ),
    )
    params = {name: int(value) if name == "PartNumber" else value for name, value in spec["params"]}
    url = client.generate_presigned_url(spec["operation"], Params=params, ExpiresIn=spec["expires"])
    json.dump({"url": url}, sys.stdout)


if __name__ == "__main__":
    main()
