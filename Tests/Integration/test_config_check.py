"""`exthost config check`: what each process would use, secrets masked, problems fail (issues 9, 10)."""
from apihelpers import cli


def test_the_stack_configuration_passes_and_masks_secrets(stack):
    result = cli(stack, "config", "check", "--connect")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "EXTHOST_BUNDLE_STORE          s3" in out and "schema                        version" in out
    for secret in ("EXTHOST_SECRETS_KEY", "STORAGE_S3_SECRET_KEY"):
        assert stack[secret] not in out
    assert "PROBLEM" not in out
    assert "EXT_EGRESS_ALLOWLIST" in out and "EXT_MEMORY_LIMIT_MB           64" in out


def test_the_file_store_is_reported_when_selected(stack):
    result = cli({**stack, "EXTHOST_BUNDLE_STORE": "file"}, "config", "check")
    assert result.returncode == 0, result.stdout
    assert "EXTHOST_BUNDLE_STORE          file" in result.stdout and stack["EXTHOST_BUNDLE_DIR"] in result.stdout
    assert stack["EXTHOST_UPLOAD_SIGNING_KEY"] not in result.stdout


def test_an_env_file_with_bad_values_fails_naming_each_problem(stack, tmp_path):
    env_file = tmp_path / "exthost.env"
    env_file.write_text(
        "# operator's file\n"
        "EXTHOST_BUNDLE_STORE=ftp\n"
        "EXTHOST_SECRETS_KEY='too-short'\n"
        "export EXTHOST_MAX_BUNDLE_BYTES=-1\n"
        "SIGNING_TRUST_BUNDLE=/nonexistent/trust.pem\n"
        "EXTHOST_CACHE_MAX_BYTES=lots\n"
        "EXT_EGRESS_ALLOWLIST=api.example.com,ftp://nope\n"
        "EXT_MEMORY_LIMIT_MB=0\n")
    result = cli(stack, "config", "check", "--env-file", str(env_file), check=False)
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if "PROBLEM" in line]
    for expected in ("ftp", "EXTHOST_SECRETS_KEY", "EXTHOST_MAX_BUNDLE_BYTES", "SIGNING_TRUST_BUNDLE", "EXTHOST_CACHE_MAX_BYTES",
                     "ftp://nope", "EXT_MEMORY_LIMIT_MB"):
        assert any(expected in line for line in problems), (expected, result.stdout)
    assert "too-short" not in result.stdout


def test_env_files_layer_in_order_later_ones_winning(stack, tmp_path):
    shared, service = tmp_path / "exthost.env", tmp_path / "api.env"
    shared.write_text("EXT_MEMORY_LIMIT_MB=32\nEXT_GATEWAY_TIMEOUT_MS=5000\n")
    service.write_text("EXT_MEMORY_LIMIT_MB=16\n")
    result = cli(stack, "config", "check", "--env-file", str(shared), "--env-file", str(service), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "EXT_MEMORY_LIMIT_MB           16" in result.stdout and "EXT_GATEWAY_TIMEOUT_MS        5000" in result.stdout
    assert result.stdout.count("environment file  ") == 2
