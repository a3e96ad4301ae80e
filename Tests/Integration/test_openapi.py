"""docs/openapi.yaml against the code: the document is valid OpenAPI, lists exactly the routes the
Swift sources register and nginx serves, catalogues every error code a client can receive, and
real answers of the running stack validate against its schemas."""
import copy
import pathlib
import re
import uuid

import jsonschema
import pytest
import referencing
import yaml
from openapi_spec_validator import validate as validate_openapi

from apihelpers import create_key, seed_extension

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = ROOT / "Sources"
SPEC_PATH = ROOT / "docs" / "openapi.yaml"
NGINX_CONF = ROOT / "nginx" / "dev.conf.template"
NGINX_PROD = ROOT / "nginx" / "exthost.conf"

# Where routes are registered: get("/…"), post(…), put(…), patch(…), delete(…), add(method, …).
ROUTE_FILES = [
    *sorted((SOURCES / "API" / "Routes").glob("*.swift")),
    *sorted((SOURCES / "API" / "Publishing").glob("*Routes.swift")),
    SOURCES / "Runner" / "Gateway" / "Router+Gateway.swift",
    SOURCES / "Runner" / "UI" / "Router+UIMiss.swift",
    *sorted((SOURCES / "ServiceSupport").glob("*.swift")),
]

# Error enums whose codes reach a client through nginx: the request plumbing, the API, the
# registry and Postgres, bundle and signature checks (finalize), the store, the gateway and the
# UI miss, and cachefill's refusals, which the runner passes on with the daemon's own code.
CLIENT_ERROR_FILES = [
    "FastCGI/HTTPError.swift", "FastCGI/HTTPHeaders.swift", "JSON/JSONParseError.swift",
    "API/Auth/AuthError.swift", "API/Input/InputError.swift", "API/Publishing/PublishingError.swift",
    "API/Publishing/FinalizeError.swift", "API/Publishing/SignedUploadRoutes.swift",
    "Registry/RegistryError.swift", "Postgres/PostgresError.swift",
    "Bundle/Archive/ArchiveError.swift", "Bundle/Tar/TarError.swift", "Bundle/Manifest/ManifestIssue.swift",
    "Bundle/Signing/SignaturePolicy.swift", "Zstd/ZstdError.swift",
    "Cryptography/SignatureError.swift", "Cryptography/SignerError.swift",
    "BundleStore/Store/BundleStoreError.swift",
    "Execution/ExecutionError.swift", "Runner/Gateway/GatewayError.swift", "Runner/UI/UIMissError.swift",
    "CacheFill/Client/CacheFillError.swift", "CacheFill/Daemon/FillFailure.swift", "ContentCache/ContentCacheError.swift",
]

# Codes of those enums that never reach a client, and why. Each must still exist in the sources
# and must stay out of the catalogue.
NOT_CLIENT_CODES = {
    "ZSTD_COMPRESSION_FAILED": "compression runs only in `exthost pack`",
    "PACK_UNSUPPORTED_FILE": "`exthost pack` only",
    "PACK_SOURCE_CHANGED": "`exthost pack` only",
    "EXTRACT_DESTINATION_EXISTS": "extraction runs in cachefill, which reports CACHE_* codes",
    "CONTENT_HASH_MISMATCH": "extraction runs in cachefill, which reports CACHE_HASH_MISMATCH",
    "KEY_CERTIFICATE_MISMATCH": "signing (`exthost sign`) only",
    "CERTIFICATE_ISSUANCE_FAILED": "dev certificate issuance in the CLI only",
    "CERTIFICATE_UNTRUSTED": "finalize reports an untrusted signer as SIGNER_UNTRUSTED",
    "TRUST_BUNDLE_INVALID": "read at startup: the worker refuses to start",
    "SECRET_UNREADABLE": "only the secrets.get host call reveals secrets; the guest gets `unavailable`",
}

# Locations nginx routes to a worker that registers no route for them (they answer 404 NOT_FOUND):
# not endpoints, so not in the spec. Once a worker serves one, the route check asks for its entry.
NGINX_ROUTED_BUT_UNSERVED: dict[str, str] = {}

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(SPEC_PATH.read_text())


# ---------- (1) the document is valid ----------

def test_spec_is_valid_openapi(spec):
    assert spec["openapi"].startswith("3.1"), "the document is OpenAPI 3.1 (JSON Schema 2020-12 schemas)"
    validate_openapi(spec)


# ---------- (2) routes: code and nginx against the spec ----------

def swift_static_string(name):
    """The value of `static let <name> = "…"` in the Swift sources (exactly one definition)."""
    values = {m.group(1) for f in SOURCES.rglob("*.swift")
              for m in re.finditer(r'static let ' + re.escape(name) + r'\s*=\s*"([^"]*)"', f.read_text())}
    assert len(values) == 1, f"static let {name}: expected one definition, found {values}"
    return values.pop()


def swift_path_expression(text):
    """A route pattern as written in Swift: a literal, or `Type.constant + "literal"`."""
    parts = [p.strip() for p in text.split("+")]
    resolved = ""
    for part in parts:
        literal = re.fullmatch(r'"([^"]*)"', part)
        resolved += literal.group(1) if literal else swift_static_string(part.rsplit(".", 1)[-1])
    return resolved


def manifest_endpoint_methods():
    text = (SOURCES / "Bundle" / "Manifest" / "Manifest.swift").read_text()
    block = re.search(r"enum Method\b[^{]*\{(.*?)\}", text, re.S)
    assert block, "enum Endpoint.Method not found in Manifest.swift"
    return set(re.findall(r'case \w+ = "([A-Z]+)"', block.group(1)))


def gateway_loop_methods(source):
    """The methods of `for method in <expression> { add(method, …) }`."""
    loop = re.search(r"for method in (.+?) \{", source)
    assert loop, "add(method, …) outside a `for method in …` loop: teach this test how to read it"
    expression = loop.group(1)
    methods = set(re.findall(r'"([A-Z]+)"', expression))
    if "Method.allCases" in expression:
        methods |= manifest_endpoint_methods()
    return methods


PATH_EXPR = r'((?:"[^"]*"|[A-Za-z_][\w.]*)(?:\s*\+\s*(?:"[^"]*"|[A-Za-z_][\w.]*))*)'


def code_routes():
    """{route pattern: set of methods} registered in ROUTE_FILES."""
    routes = {}
    for path in ROUTE_FILES:
        source = path.read_text()
        for m in re.finditer(r'(?<![.\w])(get|post|put|patch|delete)\(\s*' + PATH_EXPR, source):
            routes.setdefault(swift_path_expression(m.group(2)), set()).add(m.group(1).upper())
        for m in re.finditer(r'(?<![.\w])add\(\s*method\s*,\s*' + PATH_EXPR, source):
            routes.setdefault(swift_path_expression(m.group(1)), set()).update(gateway_loop_methods(source))
    return routes


def code_roles():
    """{(route pattern, method): "admin" | "member"} for routes wrapped in `services.secured(.role)`."""
    roles = {}
    for path in ROUTE_FILES:
        pattern = r'(?<![.\w])(get|post|put|patch|delete)\(\s*' + PATH_EXPR + r'\s*,\s*services\.secured\(\.(admin|member)\)'
        for m in re.finditer(pattern, path.read_text()):
            roles[(swift_path_expression(m.group(2)), m.group(1).upper())] = m.group(3)
    return roles


def nginx_routing_section():
    text = NGINX_CONF.read_text()
    section = re.search(r"# ---- routing: begin \(server level\) ----(.*?)# ---- routing: end \(server level\) ----", text, re.S)
    assert section, "the routing markers of nginx/dev.conf.template moved"
    return section.group(1)


def nginx_exact_locations():
    """{path: worker path} for `location = /x` blocks that pass to a worker (REQUEST_URI rewritten or not)."""
    section = nginx_routing_section()
    locations = {}
    for m in re.finditer(r"location = (/\S*) \{(.*?)\n        \}", section, re.S):
        body = m.group(2)
        if "fastcgi_pass" in body:
            rewritten = re.search(r"fastcgi_param REQUEST_URI (\S+);", body)
            locations[m.group(1)] = rewritten.group(1) if rewritten else m.group(1)
    return locations


def nginx_served_prefixes():
    """Prefix locations nginx answers from disk itself (the admin page, extension UI files)."""
    section = nginx_routing_section()
    return {m.group(1) for m in re.finditer(r"location (/[\w-]+/) \{", section)
            if "fastcgi_pass" not in section[m.end():section.find("\n        }", m.end())]}


def normalized_code(pattern):
    return re.sub(r":\w+", "{}", pattern)


def spec_matches_code(spec_path, code_pattern):
    """Does a spec path template denote this code pattern? `*rest` spans one or more templated segments."""
    spec_norm = re.sub(r"\{\w+\}", "{}", spec_path)
    code_norm = normalized_code(code_pattern)
    if "*" not in code_norm:
        return spec_norm == code_norm
    prefix = code_norm[:code_norm.index("*")]
    return spec_norm.startswith(prefix) and re.fullmatch(r"\{\}(/\{\})*", spec_norm[len(prefix):]) is not None


def spec_methods(spec, path):
    return {m.upper() for m in spec["paths"][path] if m in HTTP_METHODS}


def test_route_parser_reads_the_sources():
    # Guards the regexes: if these fail, the parser, not the spec, needs fixing.
    routes = code_routes()
    assert routes.get("/api/installs/:id") == {"GET", "PATCH", "DELETE"}
    assert routes.get("/api/ext/:extensionId/*path", set()) >= {"GET", "POST", "OPTIONS"}
    assert routes.get("/ext-ui/*path") == {"GET"}
    assert "/healthz" in routes and "/metrics" in routes
    assert nginx_exact_locations().get("/runner/healthz") == "/healthz"
    assert "/admin/" in nginx_served_prefixes()


def test_every_code_route_is_in_the_spec_with_the_same_methods(spec):
    for pattern, methods in code_routes().items():
        matching = [p for p in spec["paths"] if spec_matches_code(p, pattern)]
        assert matching, f"{sorted(methods)} {pattern} is registered in Sources/ but missing from docs/openapi.yaml"
        for path in matching:
            documented = spec_methods(spec, path)
            allowed = methods | ({"HEAD"} if "GET" in methods else set())
            assert methods <= documented, f"{path}: the code serves {sorted(methods - documented)} too"
            assert documented <= allowed, f"{path}: the spec invents {sorted(documented - allowed)}"


def test_roles_and_security_match_the_code(spec):
    roles = code_roles()
    assert roles.get(("/api/installs", "POST")) == "admin" and roles.get(("/api/installs", "GET")) == "member"
    for (pattern, method), role in roles.items():
        path = next(p for p in spec["paths"] if spec_matches_code(p, pattern))
        operation = spec["paths"][path][method.lower()]
        assert operation.get("security", spec["security"]) == [{"apiKey": []}], f"{method} {path} needs an API key"
        assert operation.get("x-required-role", "member") == role, f"{method} {path}: the code requires {role}"
        if role == "admin":
            assert "403" in operation["responses"], f"{method} {path}: a member key gets 403 FORBIDDEN"
    for pattern in ("/api/ext-bundles/upload/:uploadId", "/api/ext-bundles/upload/:uploadId/parts/:partNumber"):
        path = next(p for p in spec["paths"] if spec_matches_code(p, pattern))
        assert spec["paths"][path]["put"]["security"] == [{"uploadSignature": []}]


def test_every_spec_path_exists_in_the_code_or_in_nginx(spec):
    routes = code_routes()
    exact = nginx_exact_locations()
    prefixes = nginx_served_prefixes()
    for path in spec["paths"]:
        in_code = any(spec_matches_code(path, pattern) for pattern in routes)
        worker_path = exact.get(path)
        via_nginx = worker_path is not None and any(spec_matches_code(worker_path, pattern) for pattern in routes)
        assert in_code or via_nginx or path in prefixes, f"{path} is in the spec but neither the code nor nginx serves it"
        if not in_code:
            assert spec_methods(spec, path) <= {"GET", "HEAD"}, f"{path}: nginx-only paths answer GET only"


def test_every_worker_location_of_nginx_is_documented(spec):
    routes = code_routes()
    for location, worker_path in nginx_exact_locations().items():
        served = any(normalized_code(p) == worker_path for p in routes)
        if location in NGINX_ROUTED_BUT_UNSERVED:
            assert not served, f"{location} is served now: document it and drop it from NGINX_ROUTED_BUT_UNSERVED"
            assert location not in spec["paths"]
            continue
        assert served, f"nginx passes {location} to a worker as {worker_path}, which no route serves"
        assert location in spec["paths"], f"nginx location {location} is missing from docs/openapi.yaml"


def test_production_nginx_routes_the_same_locations():
    # The spec is checked against the dev template; the production site must route the same paths.
    prod = NGINX_PROD.read_text()
    for location in nginx_exact_locations():
        assert f"location = {location} {{" in prod, f"nginx/exthost.conf lacks location = {location}"


# ---------- (3) the error-code catalogue ----------

def code_blocks(source):
    """The bodies of every `var code: String { … }` in a Swift file."""
    for m in re.finditer(r"var code: String \{", source):
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[i], 0)
            i += 1
        yield source[m.end():i - 1]


def codes_in(paths):
    return {code for path in paths for block in code_blocks(path.read_text())
            for code in re.findall(r'"([A-Z][A-Z0-9_]+)"', block)}


def nginx_error_codes():
    return set(re.findall(r'"code":"([A-Z][A-Z0-9_]+)"', NGINX_CONF.read_text() + NGINX_PROD.read_text()))


def catalogue(spec):
    return {entry["const"] for entry in spec["components"]["schemas"]["ErrorCode"]["oneOf"]}


def response_code_enums(node):
    """Every `code: {enum: […]}` under a node of the spec."""
    if isinstance(node, dict):
        code = node.get("code")
        if isinstance(code, dict) and "enum" in code:
            yield from code["enum"]
        for value in node.values():
            yield from response_code_enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from response_code_enums(value)


def test_every_client_error_code_is_in_the_catalogue(spec):
    defined = codes_in(SOURCES / f for f in CLIENT_ERROR_FILES)
    assert {"NOT_FOUND", "INVALID_API_KEY", "MANIFEST_INVALID", "EXTENSION_TIMEOUT", "CACHE_IO"} <= defined, "the code parser found too little"
    missing = (defined | nginx_error_codes()) - set(NOT_CLIENT_CODES) - catalogue(spec)
    assert not missing, f"error codes a client can receive but docs/openapi.yaml does not catalogue: {sorted(missing)}"


def test_excluded_codes_exist_and_stay_out_of_the_catalogue(spec):
    defined = codes_in(SOURCES / f for f in CLIENT_ERROR_FILES)
    assert set(NOT_CLIENT_CODES) <= defined, f"stale exclusions: {sorted(set(NOT_CLIENT_CODES) - defined)}"
    assert not set(NOT_CLIENT_CODES) & catalogue(spec)


def test_catalogue_holds_no_invented_codes(spec):
    everywhere = codes_in(SOURCES.rglob("*.swift")) | nginx_error_codes()
    invented = catalogue(spec) - everywhere
    assert not invented, f"catalogued codes that no Swift error enum or nginx page defines: {sorted(invented)}"


def test_responses_use_catalogued_codes_and_every_code_is_answered_somewhere(spec):
    used = set(response_code_enums(spec["paths"])) | set(response_code_enums(spec["components"]["responses"]))
    known = catalogue(spec)
    assert used - known == set(), f"responses list codes missing from the catalogue: {sorted(used - known)}"
    assert known - used == set(), f"catalogued codes no response lists: {sorted(known - used)}"


def test_each_code_is_listed_under_its_catalogued_status(spec):
    listed = {}
    for item in spec["paths"].values():
        for method in HTTP_METHODS:
            for status, response in item.get(method, {}).get("responses", {}).items():
                while "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                for code in response_code_enums(response):
                    listed.setdefault(code, set()).add(status)
    for entry in spec["components"]["schemas"]["ErrorCode"]["oneOf"]:
        status = entry["description"][:3]
        assert re.fullmatch(r"[45]\d\d", status), f"{entry['const']}: the description starts with its status"
        assert status in listed.get(entry["const"], set()), f"{entry['const']} is catalogued as {status} but listed under {listed.get(entry['const'])}"


# ---------- (4) real answers validate against their schemas ----------

def response_object(spec, path, method, status):
    response = spec["paths"][path][method]["responses"][str(status)]
    while "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


def schema_validator(spec, path, method, status):
    """A JSON Schema 2020-12 validator of the operation's JSON answer, $refs resolved within the spec."""
    response = response_object(spec, path, method, status)
    schema = response["content"]["application/json"]["schema"]
    uri = "urn:exthost:openapi"
    registry = referencing.Registry().with_resource(uri, referencing.Resource.from_contents(
        {**spec, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    return jsonschema.Draft202012Validator({"$id": uri + "#answer", **_rebased(schema, uri)}, registry=registry)


def _rebased(node, uri):
    """The schema with local `#/…` refs pointed at the registered spec document."""
    if isinstance(node, dict):
        return {k: (uri + v if k == "$ref" and v.startswith("#/") else _rebased(v, uri)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebased(v, uri) for v in node]
    return node


def assert_valid(spec, path, method, status, response):
    assert response.status_code == status, response.text
    for header in response_object(spec, path, method, status).get("headers", {}):
        if header in ("X-Request-Id", "WWW-Authenticate", "Location"):
            assert header in response.headers, f"{method.upper()} {path} {status}: the spec promises {header}"
    document = response.json()
    errors = sorted(schema_validator(spec, path, method, status).iter_errors(document), key=str)
    assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(e.message for e in errors[:5])
    return document


@pytest.fixture(scope="module")
def tenant_keys(stack):
    tenant = str(uuid.uuid4())
    return {role: create_key(stack, tenant, role) for role in ("admin", "member")}


@pytest.fixture(scope="module")
def seeded(stack):
    publisher = "oa" + uuid.uuid4().hex[:8] + ".tools"
    seed_extension(stack, publisher, "hello", [
        ("1.0.0", ["storage"], {"type": "iframe", "entry": "ui/index.html"}),
        ("1.1.0", [], None),
    ])
    return publisher + ".hello"


def bearer(key):
    return {"Authorization": "Bearer " + key}


@pytest.fixture(scope="module")
def other_tenant_admin(stack):
    return bearer(create_key(stack, str(uuid.uuid4()), "admin"))


def test_catalogue_and_installs_validate(spec, http, base_url, tenant_keys, seeded):
    listing = assert_valid(spec, "/api/extensions", "get", 200,
                           http.get(f"{base_url}/api/extensions", headers=bearer(tenant_keys["member"])))
    assert any(e["qualifiedName"] == seeded for e in listing["extensions"])
    assert_valid(spec, "/api/extensions/{id}", "get", 200,
                 http.get(f"{base_url}/api/extensions/{seeded}", headers=bearer(tenant_keys["member"])))
    created = assert_valid(spec, "/api/installs", "post", 201, http.post(
        f"{base_url}/api/installs", headers=bearer(tenant_keys["admin"]),
        json={"extensionId": seeded, "version": "1.0.0", "config": {"theme": "dark"}, "grantedCapabilities": ["storage"]}))
    assert "uiUrl" in created, "a version with a UI: uiUrl is part of what is validated"
    installs = assert_valid(spec, "/api/installs", "get", 200,
                            http.get(f"{base_url}/api/installs", headers=bearer(tenant_keys["member"])))
    assert [i["id"] for i in installs["installs"]] == [created["id"]]
    assert_valid(spec, "/api/installs/{id}/secrets", "get", 200,
                 http.get(f"{base_url}/api/installs/{created['id']}/secrets", headers=bearer(tenant_keys["member"])))


def test_publishing_answers_validate(spec, http, base_url, tenant_keys):
    admin = bearer(tenant_keys["admin"])
    opened = assert_valid(spec, "/api/ext-bundles/initiate-upload", "post", 201, http.post(
        f"{base_url}/api/ext-bundles/initiate-upload", headers=admin, json={"filename": "bundle.tar.zst", "size": 1000}))
    assert opened["strategy"] == "presigned-put"
    incomplete = assert_valid(spec, "/api/ext-bundles/finalize", "post", 409, http.post(
        f"{base_url}/api/ext-bundles/finalize", headers=admin, json={"uploadId": opened["uploadId"]}))
    assert incomplete["error"]["code"] == "UPLOAD_INCOMPLETE"
    aborted = assert_valid(spec, "/api/ext-bundles/abort", "post", 200, http.post(
        f"{base_url}/api/ext-bundles/abort", headers=admin, json={"uploadId": opened["uploadId"]}))
    assert aborted == {"uploadId": opened["uploadId"], "status": "aborted"}
    too_large = assert_valid(spec, "/api/ext-bundles/initiate-upload", "post", 413, http.post(
        f"{base_url}/api/ext-bundles/initiate-upload", headers=admin, json={"filename": "b", "size": 1 << 50}))
    assert too_large["error"]["code"] == "BUNDLE_TOO_LARGE"


def test_secrets_and_delete_validate(spec, http, base_url, tenant_keys, seeded, other_tenant_admin):
    # The other tenant's install: tenant_keys' tenant must not see it (404), its own admin deletes it.
    admin = bearer(tenant_keys["admin"])
    admin_key = other_tenant_admin
    created = http.post(f"{base_url}/api/installs", headers=admin_key, json={"extensionId": seeded, "version": "1.1.0"}).json()
    path = f"{base_url}/api/installs/{created['id']}"
    names = assert_valid(spec, "/api/installs/{id}/secrets", "put", 200,
                         http.put(path + "/secrets", headers=admin_key, json={"API_TOKEN": "s3cret", "OLD": None}))
    assert names["secrets"] == ["API_TOKEN"]
    foreign = assert_valid(spec, "/api/installs/{id}", "delete", 404, http.delete(path, headers=admin))
    assert foreign["error"]["code"] == "INSTALL_NOT_FOUND"
    deleted = http.delete(path, headers=admin_key)
    assert deleted.status_code == 204 and "X-Request-Id" in deleted.headers


def test_the_schemas_are_strict_enough_to_fail(spec, http, base_url, tenant_keys, seeded):
    # A validator that accepts anything would make the test above meaningless.
    listing = http.get(f"{base_url}/api/extensions", headers=bearer(tenant_keys["member"])).json()
    validator = schema_validator(spec, "/api/extensions", "get", 200)
    assert validator.is_valid(listing)
    tampered = copy.deepcopy(listing)
    entry = next(e for e in tampered["extensions"] if e["qualifiedName"] == seeded)
    entry["versions"][0]["surprise"] = True
    assert not validator.is_valid(tampered)
    error_validator = schema_validator(spec, "/api/installs/{id}", "get", 404)
    assert not error_validator.is_valid({"error": {"code": "EXTENSION_NOT_FOUND", "message": "m", "requestId": "r"}})


def test_error_answers_validate(spec, http, base_url, tenant_keys):
    missing = assert_valid(spec, "/api/installs/{id}", "get", 404, http.get(
        f"{base_url}/api/installs/{uuid.uuid4()}", headers=bearer(tenant_keys["member"])))
    assert missing["error"]["code"] == "INSTALL_NOT_FOUND"
    unauthenticated = assert_valid(spec, "/api/extensions", "get", 401, http.get(f"{base_url}/api/extensions"))
    assert unauthenticated["error"]["code"] == "UNAUTHENTICATED"
    bad_key = assert_valid(spec, "/api/installs", "get", 401,
                           http.get(f"{base_url}/api/installs", headers=bearer("exh_" + "0" * 40)))
    assert bad_key["error"]["code"] == "INVALID_API_KEY"
    forbidden = assert_valid(spec, "/api/installs", "post", 403, http.post(
        f"{base_url}/api/installs", headers=bearer(tenant_keys["member"]), json={"extensionId": "a.b", "version": "1.0.0"}))
    assert forbidden["error"]["code"] == "FORBIDDEN"
    unknown = assert_valid(spec, "/api/installs", "post", 400, http.post(
        f"{base_url}/api/installs", headers=bearer(tenant_keys["admin"]), json={"extensionId": "a.b", "version": "1", "colour": 1}))
    assert unknown["error"]["code"] == "UNKNOWN_FIELD" and unknown["error"]["field"] == "colour"


def test_nginx_and_runner_answers_validate(spec, http, base_url, tenant_keys):
    ui = assert_valid(spec, "/ext-ui/{extensionId}/{contentHash}/{path}", "get", 404,
                      http.get(f"{base_url}/ext-ui/{uuid.uuid4()}/{'0' * 64}/index.html"))
    assert ui["error"]["code"] in ("UI_NOT_FOUND", "NOT_REGISTERED")
    gateway = assert_valid(spec, "/api/ext/{extensionId}/{path}", "get", 404, http.get(
        f"{base_url}/api/ext/nobody.nothing/hello", headers=bearer(tenant_keys["member"])))
    assert gateway["error"]["code"] == "EXTENSION_NOT_AVAILABLE"
    for path in ("/healthz", "/runner/healthz"):
        assert_valid(spec, path, "get", 200, http.get(base_url + path))
