/// Migration 1: the registry schema of DESIGN.md §6 (see docs/schema.md for the Citus layout).
///
/// Global catalog tables (extensions, bundles, extension_versions, api_keys) have no tenant;
/// every tenant-scoped table carries `tenant_id` first in its primary key, and foreign keys
/// between tenant-scoped tables include it, so they can be distributed by `tenant_id`.
enum Migration0001Initial {
    static let sql = """
        CREATE TABLE extensions (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            publisher text NOT NULL CHECK (length(publisher) BETWEEN 1 AND 128),
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
            display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 256),
            description text NOT NULL DEFAULT '' CHECK (length(description) <= 8192),
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT extensions_publisher_name_key UNIQUE (publisher, name)
        );

        CREATE TABLE bundles (
            content_hash text PRIMARY KEY CHECK (content_hash ~ '^sha256:[0-9a-f]{64}$'),
            size bigint NOT NULL CHECK (size >= 0),
            signature jsonb,
            signer text,
            signer_fingerprint text,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT bundles_signer_needs_signature CHECK (signature IS NOT NULL OR (signer IS NULL AND signer_fingerprint IS NULL))
        );

        CREATE TABLE extension_versions (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            extension_id uuid NOT NULL REFERENCES extensions (id) ON DELETE RESTRICT,
            version text NOT NULL CHECK (length(version) BETWEEN 1 AND 128),
            runtime text NOT NULL CHECK (length(runtime) BETWEEN 1 AND 64),
            entry text NOT NULL CHECK (length(entry) BETWEEN 1 AND 1024),
            endpoints jsonb NOT NULL DEFAULT '[]',
            ui jsonb,
            capabilities text[] NOT NULL DEFAULT '{}',
            content_hash text NOT NULL REFERENCES bundles (content_hash) ON DELETE RESTRICT,
            manifest jsonb NOT NULL CHECK (jsonb_typeof(manifest) = 'object'),
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT extension_versions_extension_id_version_key UNIQUE (extension_id, version),
            -- Lets installs prove that their pinned version belongs to their extension.
            CONSTRAINT extension_versions_extension_id_id_key UNIQUE (extension_id, id)
        );

        CREATE INDEX extension_versions_content_hash_idx ON extension_versions (content_hash);

        CREATE TABLE api_keys (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            tenant_id uuid NOT NULL,
            role text NOT NULL CHECK (role IN ('admin', 'member')),
            name text NOT NULL DEFAULT '' CHECK (length(name) <= 256),
            key_sha256 bytea NOT NULL CHECK (octet_length(key_sha256) = 32),
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz,
            revoked_at timestamptz,
            last_used_at timestamptz,
            CONSTRAINT api_keys_key_sha256_key UNIQUE (key_sha256),
            CONSTRAINT api_keys_expiry_after_creation CHECK (expires_at IS NULL OR expires_at > created_at)
        );

        CREATE INDEX api_keys_tenant_id_idx ON api_keys (tenant_id);

        CREATE TABLE installs (
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            tenant_id uuid NOT NULL,
            extension_id uuid NOT NULL REFERENCES extensions (id) ON DELETE RESTRICT,
            version_id uuid NOT NULL,
            enabled boolean NOT NULL DEFAULT true,
            config jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
            granted_capabilities text[] NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id),
            CONSTRAINT installs_tenant_id_extension_id_key UNIQUE (tenant_id, extension_id),
            CONSTRAINT installs_version_of_extension FOREIGN KEY (extension_id, version_id)
                REFERENCES extension_versions (extension_id, id) ON DELETE RESTRICT
        );

        -- (tenant_id) lookups use the primary key and the unique index, both led by tenant_id.
        CREATE INDEX installs_enabled_by_extension_idx ON installs (extension_id) WHERE enabled;

        CREATE INDEX installs_version_id_idx ON installs (version_id);

        CREATE TABLE install_secrets (
            tenant_id uuid NOT NULL,
            install_id uuid NOT NULL,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
            nonce bytea NOT NULL CHECK (octet_length(nonce) = 12),
            ciphertext bytea NOT NULL,
            tag bytea NOT NULL CHECK (octet_length(tag) = 16),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, install_id, name),
            FOREIGN KEY (tenant_id, install_id) REFERENCES installs (tenant_id, id) ON DELETE CASCADE
        );

        CREATE TABLE upload_sessions (
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            tenant_id uuid NOT NULL,
            api_key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE RESTRICT,
            filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
            declared_size bigint NOT NULL CHECK (declared_size >= 0),
            declared_hash text CHECK (declared_hash ~ '^sha256:[0-9a-f]{64}$'),
            strategy text NOT NULL CHECK (strategy ~ '^[a-z][a-z_-]{0,31}$'),
            staging_key text NOT NULL CHECK (length(staging_key) BETWEEN 1 AND 1024),
            multipart_id text,
            state text NOT NULL DEFAULT 'open'
                CHECK (state IN ('open', 'finalizing', 'finalized', 'aborted', 'expired', 'failed')),
            content_hash text CHECK (content_hash ~ '^sha256:[0-9a-f]{64}$'),
            expires_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id),
            CONSTRAINT upload_sessions_finalized_has_hash CHECK (state <> 'finalized' OR content_hash IS NOT NULL)
        );

        CREATE INDEX upload_sessions_open_by_expiry_idx ON upload_sessions (expires_at) WHERE state = 'open';

        CREATE TABLE extension_storage (
            tenant_id uuid NOT NULL,
            install_id uuid NOT NULL,
            namespace text NOT NULL CHECK (length(namespace) BETWEEN 1 AND 256),
            key text NOT NULL CHECK (length(key) BETWEEN 1 AND 1024),
            value bytea NOT NULL,
            revision bigint NOT NULL DEFAULT 1 CHECK (revision > 0),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, install_id, namespace, key),
            FOREIGN KEY (tenant_id, install_id) REFERENCES installs (tenant_id, id) ON DELETE CASCADE
        );

        -- Append-only and kept after an uninstall, so install_id has no foreign key.
        CREATE TABLE execution_log (
            id bigint GENERATED BY DEFAULT AS IDENTITY,
            tenant_id uuid NOT NULL,
            install_id uuid NOT NULL,
            request_id text NOT NULL,
            method text NOT NULL,
            path text NOT NULL,
            status int NOT NULL CHECK (status BETWEEN 100 AND 599),
            duration_ms int NOT NULL CHECK (duration_ms >= 0),
            fuel bigint CHECK (fuel >= 0),
            error_code text,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id)
        );

        CREATE INDEX execution_log_tenant_id_created_at_idx ON execution_log (tenant_id, created_at);
        """
}
