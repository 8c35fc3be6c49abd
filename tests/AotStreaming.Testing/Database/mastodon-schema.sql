-- The Mastodon tables the streaming server reads (reference §10, db/schema.rb 2025_12_17), with the
-- NOT NULL columns needed to insert valid rows. Idempotent: safe to run on every test start.
CREATE TABLE IF NOT EXISTS user_roles (
  id bigserial PRIMARY KEY,
  name varchar NOT NULL DEFAULT '',
  color varchar NOT NULL DEFAULT '',
  position integer NOT NULL DEFAULT 0,
  permissions bigint NOT NULL DEFAULT 0,
  highlighted boolean NOT NULL DEFAULT false,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS accounts (
  id bigint PRIMARY KEY,
  username varchar NOT NULL DEFAULT '',
  domain varchar,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  public_key text NOT NULL DEFAULT '',
  note text NOT NULL DEFAULT '',
  display_name varchar NOT NULL DEFAULT '',
  uri varchar NOT NULL DEFAULT '',
  locked boolean NOT NULL DEFAULT false,
  suspended_at timestamp,
  silenced_at timestamp
);
CREATE UNIQUE INDEX IF NOT EXISTS index_accounts_on_username_and_domain_lower
  ON accounts (lower(username), COALESCE(lower(domain), ''));

CREATE TABLE IF NOT EXISTS users (
  id bigserial PRIMARY KEY,
  email varchar NOT NULL DEFAULT '',
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  encrypted_password varchar NOT NULL DEFAULT '',
  sign_in_count integer NOT NULL DEFAULT 0,
  otp_required_for_login boolean NOT NULL DEFAULT false,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  disabled boolean NOT NULL DEFAULT false,
  chosen_languages varchar[],
  approved boolean NOT NULL DEFAULT true,
  role_id bigint REFERENCES user_roles(id) ON DELETE SET NULL,
  require_tos_interstitial boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX IF NOT EXISTS index_users_on_email ON users (email);
CREATE INDEX IF NOT EXISTS index_users_on_account_id ON users (account_id);

CREATE TABLE IF NOT EXISTS oauth_access_tokens (
  id bigserial PRIMARY KEY,
  token varchar NOT NULL,
  refresh_token varchar,
  expires_in integer,
  revoked_at timestamp,
  created_at timestamp NOT NULL DEFAULT now(),
  scopes varchar,
  application_id bigint,
  resource_owner_id bigint REFERENCES users(id) ON DELETE CASCADE,
  last_used_at timestamp,
  last_used_ip inet
);
CREATE UNIQUE INDEX IF NOT EXISTS index_oauth_access_tokens_on_token ON oauth_access_tokens (token);

CREATE TABLE IF NOT EXISTS lists (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  title varchar NOT NULL DEFAULT '',
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  replies_policy integer NOT NULL DEFAULT 0,
  exclusive boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS index_lists_on_account_id ON lists (account_id);

CREATE TABLE IF NOT EXISTS blocks (
  id bigserial PRIMARY KEY,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  uri varchar
);
CREATE UNIQUE INDEX IF NOT EXISTS index_blocks_on_account_id_and_target_account_id ON blocks (account_id, target_account_id);
CREATE INDEX IF NOT EXISTS index_blocks_on_target_account_id ON blocks (target_account_id);

CREATE TABLE IF NOT EXISTS mutes (
  id bigserial PRIMARY KEY,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  hide_notifications boolean NOT NULL DEFAULT true,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  target_account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  expires_at timestamp
);
CREATE UNIQUE INDEX IF NOT EXISTS index_mutes_on_account_id_and_target_account_id ON mutes (account_id, target_account_id);
CREATE INDEX IF NOT EXISTS index_mutes_on_target_account_id ON mutes (target_account_id);

CREATE TABLE IF NOT EXISTS account_domain_blocks (
  id bigserial PRIMARY KEY,
  domain varchar NOT NULL,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS index_account_domain_blocks_on_account_id_and_domain ON account_domain_blocks (account_id, domain);

CREATE TABLE IF NOT EXISTS custom_filters (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  expires_at timestamp,
  phrase text NOT NULL DEFAULT '',
  context varchar[] NOT NULL DEFAULT '{}',
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now(),
  action integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS index_custom_filters_on_account_id ON custom_filters (account_id);

CREATE TABLE IF NOT EXISTS custom_filter_keywords (
  id bigserial PRIMARY KEY,
  custom_filter_id bigint NOT NULL REFERENCES custom_filters(id) ON DELETE CASCADE,
  keyword text NOT NULL DEFAULT '',
  whole_word boolean NOT NULL DEFAULT true,
  created_at timestamp(6) NOT NULL DEFAULT now(),
  updated_at timestamp(6) NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS index_custom_filter_keywords_on_custom_filter_id ON custom_filter_keywords (custom_filter_id);

CREATE TABLE IF NOT EXISTS settings (
  id bigserial PRIMARY KEY,
  var varchar NOT NULL,
  value text,
  created_at timestamp,
  updated_at timestamp
);
CREATE UNIQUE INDEX IF NOT EXISTS index_settings_on_var ON settings (var);
