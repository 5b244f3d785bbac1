-- Tenants, their users and the auth tokens users sign in with.
CREATE TABLE tenants (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    plan        text        NOT NULL DEFAULT 'standard',
    status      text        NOT NULL DEFAULT 'active',
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE TABLE users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      bigint      NOT NULL REFERENCES tenants (id),
    email          text        NOT NULL,
    password_hash  text        NOT NULL,
    full_name      text,
    last_login_ip  inet,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email),
    UNIQUE (tenant_id, id)
);
COMMENT ON COLUMN users.full_name IS 'Display name of a person. lsos:class=sensitive';

CREATE TABLE auth_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint      NOT NULL REFERENCES tenants (id),
    user_id     bigint      NOT NULL,
    token_hash  text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);
CREATE INDEX auth_tokens_tenant_user_idx ON auth_tokens (tenant_id, user_id);
