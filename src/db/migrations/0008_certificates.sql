-- The built-in certificate store: what listeners and pools name in their *_container_ref
-- fields. The PEM payload (certificate, chain, private key; CA bundle; CRL) is sealed with
-- AES-256-GCM under the operator's secret key (src/certs/secret-store.ts), which never
-- enters the database; only the public metadata below is readable here.
create table certificate (
  id uuid primary key,
  project_id text not null,
  name text not null default '',
  type text not null check (type in ('certificate', 'ca', 'crl')),
  subject text,
  issuer text,
  subject_alt_names jsonb not null default '[]',
  fingerprint_sha256 text,
  not_before timestamptz(3),
  expires_at timestamptz(3),
  sealed text not null,
  tags jsonb not null default '[]',
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3)
);
create index certificate_project on certificate (project_id);
