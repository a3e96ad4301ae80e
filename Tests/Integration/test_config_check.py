"""`exthost config check`: what each process would use, secrets masked, problems fail (issues 9, 10)."""
import pytest

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


# Warnings (issue 13 items 3 and 4): settings that run but are unsafe. Each is a "warning:" line,
# exit 0, and with --strict exit 1.

def check_with(stack, tmp_path, text, *args):
    env_file = tmp_path / "warn.env"
    env_file.write_text(text)
    # Development mode keeps the stack's missing trust bundle out of the way of the warning under test.
    return cli({**stack, "EXTHOST_ENV": "development"}, "config", "check", "--env-file", str(env_file), *args, check=False)


def warnings_of(result):
    return [line for line in result.stdout.splitlines() if line.strip().startswith("warning:")]


def assert_warns(stack, tmp_path, text, *expected):
    result = check_with(stack, tmp_path, text)
    assert result.returncode == 0 and "PROBLEM" not in result.stdout, result.stdout
    found = warnings_of(result)
    for fragment in expected:
        assert any(fragment in line for line in found), (fragment, result.stdout)
    strict = check_with(stack, tmp_path, text, "--strict")
    assert strict.returncode == 1 and "--strict: " in strict.stdout, strict.stdout
    return found


def test_the_stack_in_development_mode_has_no_warning_so_strict_passes(stack, tmp_path):
    result = check_with(stack, tmp_path, "")
    assert result.returncode == 0 and warnings_of(result) == [], result.stdout
    assert "note: SIGNING_TRUST_BUNDLE is not set" in result.stdout
    assert check_with(stack, tmp_path, "", "--strict").returncode == 0


def test_no_trust_bundle_in_production_mode_warns(stack, tmp_path):
    assert_warns(stack, tmp_path, "EXTHOST_ENV=production\n", "SIGNING_TRUST_BUNDLE is not set in production mode")
    unset = cli({k: v for k, v in stack.items() if k != "EXTHOST_ENV"}, "config", "check", check=False)
    assert "SIGNING_TRUST_BUNDLE is not set in production mode" in unset.stdout, "unset EXTHOST_ENV must mean production"
    typo = check_with(stack, tmp_path, "EXTHOST_ENV=prod\n")
    assert typo.returncode == 1 and "PROBLEM: EXTHOST_ENV must be production or development" in typo.stdout


@pytest.mark.parametrize("entry, expected", [
    ("*.co.uk", "matches names anyone can register under co.uk"),
    ("*.amazonaws.com", "matches names anyone can register under amazonaws.com"),
    ("0.0.0.0", "is the unspecified address"),
    ("[::]:8080", "is the unspecified address"),
    ("169.254.169.254", "loopback, private or link-local address"),
    ("10.1.2.3:8443", "loopback, private or link-local address"),
    ("localhost:9000", "is this machine"),
    ("http://api.example.com", "allows plain http"),
])
def test_an_egress_entry_that_reaches_too_far_warns(stack, tmp_path, entry, expected):
    assert_warns(stack, tmp_path, f"EXT_EGRESS_ALLOWLIST=api.example.com,{entry}\n", expected)


@pytest.mark.parametrize("entry", ["*", "*.", "*.com", "*.*.example.com"])
def test_an_egress_entry_matching_everything_is_refused(stack, tmp_path, entry):
    result = check_with(stack, tmp_path, f"EXT_EGRESS_ALLOWLIST={entry}\n")
    assert result.returncode == 1 and "PROBLEM: EXT_EGRESS_ALLOWLIST" in result.stdout, result.stdout


def test_plain_http_to_a_remote_s3_endpoint_warns_and_loopback_does_not(stack, tmp_path):
    assert_warns(stack, tmp_path, "STORAGE_S3_ENDPOINT=http://s3.internal.example:9000\n",
                 "STORAGE_S3_ENDPOINT http://s3.internal.example:9000 is plain http")
    assert warnings_of(check_with(stack, tmp_path, "STORAGE_S3_ENDPOINT=http://localhost:9000\n")) == []
    assert warnings_of(check_with(stack, tmp_path, "STORAGE_S3_ENDPOINT=https://s3.eu-west-1.amazonaws.com\n")) == []


@pytest.mark.parametrize("key, expected", [
    ("00" * 32, "every byte is the same"),
    ("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "it is a published example key"),
    ("".join(f"{i:02x}" for i in range(32)), "it is a published example key"),
    ("0a1b2c3d4e5f6071" * 4, "it has only 8 distinct byte values"),
])
def test_a_weak_secrets_key_warns_without_printing_it(stack, tmp_path, key, expected):
    found = assert_warns(stack, tmp_path, f"EXTHOST_SECRETS_KEY={key}\n", "EXTHOST_SECRETS_KEY is weak: " + expected)
    assert not any(key in line for line in found)


def test_a_weak_previous_key_warns_and_a_repeated_one_is_a_problem(stack, tmp_path):
    current = stack["EXTHOST_SECRETS_KEY"]
    assert_warns(stack, tmp_path, f"EXTHOST_SECRETS_KEY_PREVIOUS={'11' * 32}\n", "entry 1 of EXTHOST_SECRETS_KEY_PREVIOUS is weak")
    same = check_with(stack, tmp_path, f"EXTHOST_SECRETS_KEY_PREVIOUS={current}\n")
    assert same.returncode == 1 and "PROBLEM: entry 1 of EXTHOST_SECRETS_KEY_PREVIOUS repeats EXTHOST_SECRETS_KEY" in same.stdout
    assert current not in same.stdout
    malformed = check_with(stack, tmp_path, "EXTHOST_SECRETS_KEY_PREVIOUS=nope\n")
    assert malformed.returncode == 1 and "entry 1 of EXTHOST_SECRETS_KEY_PREVIOUS must be" in malformed.stdout


def test_a_key_expiry_warning_window_of_zero_warns_and_nonsense_is_a_problem(stack, tmp_path):
    assert_warns(stack, tmp_path, "EXTHOST_KEY_EXPIRY_WARNING_DAYS=0\n", "EXTHOST_KEY_EXPIRY_WARNING_DAYS=0")
    bad = check_with(stack, tmp_path, "EXTHOST_KEY_EXPIRY_WARNING_DAYS=two weeks\n")
    assert bad.returncode == 1 and "PROBLEM: EXTHOST_KEY_EXPIRY_WARNING_DAYS must be a whole number" in bad.stdout


@pytest.mark.parametrize("url", [
    "postgresql://exthost@db.internal.example:5432/exthost",
    "postgresql://exthost@db.internal.example/exthost?sslmode=require",
    "host=10.0.0.5 dbname=exthost user=exthost sslmode=prefer",
])
def test_a_remote_database_without_certificate_checks_warns(stack, tmp_path, url):
    assert_warns(stack, tmp_path, f"EXTHOST_DATABASE_URL={url}\n", "the server's certificate is not checked")


@pytest.mark.parametrize("url", [
    "postgresql://exthost@db.internal.example/exthost?sslmode=verify-full",
    "postgresql://exthost@127.0.0.1:5432/exthost",
    "postgresql:///exthost?host=%2Fvar%2Frun%2Fpostgresql",
    "host=/run/postgresql dbname=exthost",
])
def test_a_local_or_verified_database_does_not_warn(stack, tmp_path, url):
    assert warnings_of(check_with(stack, tmp_path, f"EXTHOST_DATABASE_URL={url}\n")) == []
