-- clonebox test fixture: a small project-management / billing SaaS database.
--
-- Load into an EMPTY database:
--   psql -X -q -v ON_ERROR_STOP=1 [-v scale=N] -f tests/fixture.sql DBNAME
--
-- Deterministic: no random(), no now() in stored data, fixed timestamps, ids
-- derived from generate_series.  Row counts are multiplied by the psql
-- variable `scale` (default 1).  At scale 1: ~5000 tasks, ~8000 comments.
--
-- Everything here exists to exercise something a cloner can get wrong; see
-- the "FEATURES" notes next to each object.

\if :{?scale}
\else
\set scale 1
\endif

SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET search_path = public;

-- ------------------------------------------------------------------------
-- Schemas
-- ------------------------------------------------------------------------
CREATE SCHEMA billing;
COMMENT ON SCHEMA billing IS 'Invoices, usage metering and customer notes';

-- ------------------------------------------------------------------------
-- Types
-- ------------------------------------------------------------------------
-- FEATURE: enum whose sort order differs from alphabetical order.
CREATE TYPE public.task_status AS ENUM ('backlog', 'todo', 'in_progress', 'review', 'done', 'cancelled');
COMMENT ON TYPE public.task_status IS 'Workflow state of a task (ordered: backlog < ... < cancelled)';

-- FEATURE: label added with ADD VALUE ... BEFORE => fractional enumsortorder (1.5).
CREATE TYPE public.priority AS ENUM ('low', 'high', 'urgent');
ALTER TYPE public.priority ADD VALUE 'medium' BEFORE 'high';

-- FEATURE: enum in a non-public schema.
CREATE TYPE billing.plan_tier AS ENUM ('free', 'starter', 'pro', 'enterprise');

-- FEATURE: domain with a CHECK constraint.
CREATE DOMAIN public.email_address AS text
    CONSTRAINT email_address_format CHECK (VALUE ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$');
COMMENT ON DOMAIN public.email_address IS 'An e-mail address (loosely validated)';

CREATE DOMAIN billing.money_amount AS numeric(12,2) NOT NULL DEFAULT 0
    CONSTRAINT money_amount_non_negative CHECK (VALUE >= 0);

-- ------------------------------------------------------------------------
-- Sequences
-- ------------------------------------------------------------------------
-- FEATURE: custom START / INCREMENT / MINVALUE / MAXVALUE / CACHE, used by a
-- column DEFAULT through a SQL function.
CREATE SEQUENCE billing.invoice_number_seq
    AS integer START WITH 1000 INCREMENT BY 5 MINVALUE 1000 MAXVALUE 99999999 CACHE 1;

-- FEATURE: free-standing sequences with non-default state.
CREATE SEQUENCE public.external_ref_seq;            -- setval(4242) below
CREATE SEQUENCE public.reserved_ticket_seq START WITH 1;  -- setval(10, false) below
CREATE SEQUENCE public.descending_seq INCREMENT BY -3 MINVALUE -1000 MAXVALUE 0 START WITH 0 CYCLE;

-- ------------------------------------------------------------------------
-- Functions (needed before tables that use them)
-- ------------------------------------------------------------------------
-- FEATURE: SQL function used in a CHECK constraint.
CREATE FUNCTION public.is_valid_slug(s text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT s ~ '^[a-z0-9]+(-[a-z0-9]+)*$' $$;
COMMENT ON FUNCTION public.is_valid_slug(text) IS 'Lowercase words joined by single dashes';

-- FEATURE: SQL function used in a column DEFAULT (and it uses a sequence).
CREATE FUNCTION billing.next_invoice_number() RETURNS text
    LANGUAGE sql VOLATILE
    AS $$ SELECT 'INV-' || lpad(nextval('billing.invoice_number_seq')::text, 8, '0') $$;

-- FEATURE: plpgsql trigger function (BEFORE UPDATE touch).
CREATE FUNCTION public.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION public.touch_updated_at() IS 'Trigger: set updated_at to now() on every UPDATE';

-- FEATURE: plpgsql AFTER INSERT trigger writing into another table.  If a
-- cloner fires it while copying rows, audit_log on the target gets extra rows.
CREATE FUNCTION public.log_project_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO public.audit_log (action, entity, entity_id, actor_id, at, details)
    VALUES ('create', 'project', NEW.id::text, NULL, NEW.created_at,
            jsonb_build_object('slug', NEW.slug, 'via', 'trigger'));
    RETURN NULL;
END
$$;

-- ------------------------------------------------------------------------
-- Tables
-- ------------------------------------------------------------------------
-- FEATURE: uuid PK (deterministic md5-based values), COLLATE "C" column,
-- CHECK using a SQL function, enum from another schema with a DEFAULT.
CREATE TABLE public.organizations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    slug        text COLLATE "C" NOT NULL UNIQUE CONSTRAINT organizations_slug_valid CHECK (public.is_valid_slug(slug)),
    plan        billing.plan_tier NOT NULL DEFAULT 'free',
    settings    jsonb,
    created_at  timestamptz NOT NULL
);
COMMENT ON TABLE public.organizations IS 'Tenants. One row per paying (or free) customer.';

-- FEATURE: GENERATED BY DEFAULT AS IDENTITY with custom sequence options,
-- domain-typed column, bytea, text[], NULLs.
CREATE TABLE public.users (
    id            bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 10) PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    email         public.email_address NOT NULL UNIQUE,
    display_name  text NOT NULL,
    locale        text DEFAULT 'en',
    avatar        bytea,
    tags          text[],
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL
);
COMMENT ON COLUMN public.users.display_name IS 'Free-form, any script: 山田, Ольга, محمد, 🚀';

-- FEATURE: serial PK, numeric(12,2), jsonb with a GIN index, UNIQUE on two
-- columns (target of a multi-column FK... see project_members), AFTER INSERT trigger.
CREATE TABLE public.projects (
    id          serial PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    slug        text NOT NULL CHECK (public.is_valid_slug(slug)),
    name        text NOT NULL,
    budget      numeric(12,2) CHECK (budget IS NULL OR budget >= 0),
    archived    boolean NOT NULL DEFAULT false,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL,
    CONSTRAINT projects_org_slug_key UNIQUE (org_id, slug)
);
COMMENT ON TABLE public.projects IS 'A project groups tasks; belongs to one organization';

-- FEATURE: composite primary key; referenced by a multi-column FK.
CREATE TABLE public.project_members (
    project_id  integer NOT NULL REFERENCES public.projects (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
    role        text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at   timestamptz NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

-- FEATURE: GENERATED ALWAYS AS IDENTITY, self-referencing FK (parent_id),
-- two enums, int[] and text[], float8, >1 MB text values, BEFORE UPDATE trigger,
-- partial index, expression index, multi-column btree index, RLS.
CREATE TABLE public.tasks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      integer NOT NULL REFERENCES public.projects (id) ON DELETE CASCADE,
    parent_id       bigint REFERENCES public.tasks (id) ON DELETE SET NULL,
    title           text NOT NULL CHECK (length(title) > 0),
    description     text,
    status          public.task_status NOT NULL DEFAULT 'backlog',
    priority        public.priority,
    assignee_id     bigint REFERENCES public.users (id) ON DELETE SET NULL,
    estimate_hours  numeric(6,2),
    risk_score      double precision,
    labels          text[],
    checklist_done  integer[],
    due_date        date,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT tasks_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id)
);
COMMENT ON TABLE public.tasks IS 'Work items; the "unit" of work — can''t be empty ✓';
COMMENT ON COLUMN public.tasks.estimate_hours IS 'Estimated effort in hours (NULL = not estimated)';
COMMENT ON COLUMN public.tasks.parent_id IS 'Sub-task of (same table)';

-- FEATURE: multi-column FK (project_id, user_id) -> project_members, DEFERRABLE.
CREATE TABLE public.task_watchers (
    task_id     bigint NOT NULL REFERENCES public.tasks (id) ON DELETE CASCADE,
    project_id  integer NOT NULL,
    user_id     bigint NOT NULL,
    since       timestamptz NOT NULL,
    PRIMARY KEY (task_id, user_id),
    CONSTRAINT task_watchers_member_fkey FOREIGN KEY (project_id, user_id)
        REFERENCES public.project_members (project_id, user_id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);

-- FEATURE: uuid PK, text containing newline / tab / backslash / quotes / emoji
-- (COPY escaping), nullable FK, NULLs.
CREATE TABLE public.task_comments (
    id          uuid PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES public.tasks (id) ON DELETE CASCADE,
    author_id   bigint REFERENCES public.users (id) ON DELETE SET NULL,
    body        text NOT NULL,
    edited_at   timestamptz,
    created_at  timestamptz NOT NULL
);

-- FEATURE: bigserial, filled by the projects AFTER INSERT trigger; nothing
-- references it (safe to exclude with --exclude-table 'public.audit*').
CREATE TABLE public.audit_log (
    id          bigserial PRIMARY KEY,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL,
    actor_id    bigint,
    at          timestamptz NOT NULL,
    details     jsonb
);

-- FEATURE: no primary key, no unique constraint, DUPLICATE rows.
CREATE TABLE public.raw_events (
    occurred_on date NOT NULL,
    path        text NOT NULL,
    user_id     bigint,
    duration_ms integer,
    user_agent  text
);
COMMENT ON TABLE public.raw_events IS 'Append-only click stream; has no key and contains duplicates';

-- FEATURE: the table whose rows must never be copied (contains credentials).
CREATE TABLE public.background_tasks (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    payload     jsonb NOT NULL,
    run_at      timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text
);

-- FEATURE: uuid PK, column DEFAULT calling a SQL function, domain with
-- DEFAULT + NOT NULL, char(3), bytea (one value > 1 MB), RLS FORCE.
CREATE TABLE billing.invoices (
    id          uuid PRIMARY KEY,
    number      text NOT NULL UNIQUE DEFAULT billing.next_invoice_number(),
    org_id      uuid NOT NULL REFERENCES public.organizations (id),
    total       billing.money_amount,
    currency    char(3) NOT NULL DEFAULT 'EUR',
    issued_at   timestamptz NOT NULL,
    paid_at     timestamptz,
    pdf         bytea,
    CONSTRAINT invoices_paid_after_issued CHECK (paid_at IS NULL OR paid_at >= issued_at)
);

-- FEATURE: GENERATED ALWAYS AS (...) STORED column, composite PK, FK to a uuid.
CREATE TABLE billing.invoice_lines (
    invoice_id  uuid NOT NULL REFERENCES billing.invoices (id) ON DELETE CASCADE,
    line_no     integer NOT NULL CHECK (line_no > 0),
    description text NOT NULL,
    quantity    numeric(10,3) NOT NULL,
    unit_price  numeric(12,2) NOT NULL,
    amount      numeric(12,2) GENERATED ALWAYS AS (round(quantity * unit_price, 2)) STORED,
    PRIMARY KEY (invoice_id, line_no)
);
COMMENT ON COLUMN billing.invoice_lines.amount IS 'Generated: round(quantity * unit_price, 2)';

-- FEATURE: mixed-case table name with a space, mixed-case column names,
-- in a non-public schema.
CREATE TABLE billing."Customer Notes" (
    "NoteId"     integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    "Note Text"  text NOT NULL,
    "createdBy"  text,
    pinned       boolean DEFAULT false,
    created_at   timestamptz NOT NULL
);
COMMENT ON TABLE billing."Customer Notes" IS 'Account-manager notes about a customer';

-- FEATURE: partitioned table (RANGE by date) with two partitions, a
-- partitioned index and a PK that includes the partition key.
CREATE TABLE billing.usage_records (
    id          bigint NOT NULL,
    org_id      uuid NOT NULL REFERENCES public.organizations (id),
    recorded_on date NOT NULL,
    metric      text NOT NULL,
    quantity    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (id, recorded_on)
) PARTITION BY RANGE (recorded_on);
CREATE TABLE billing.usage_records_2024_h1 PARTITION OF billing.usage_records
    FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE billing.usage_records_2024_h2 PARTITION OF billing.usage_records
    FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');

-- ------------------------------------------------------------------------
-- Indexes
-- ------------------------------------------------------------------------
CREATE INDEX users_org_id_idx ON public.users (org_id);
CREATE INDEX projects_metadata_gin ON public.projects USING gin (metadata jsonb_path_ops);
CREATE INDEX tasks_project_status_idx ON public.tasks (project_id, status);
CREATE INDEX tasks_open_assignee_idx ON public.tasks (assignee_id, due_date)
    WHERE status NOT IN ('done', 'cancelled');                         -- partial
CREATE INDEX tasks_lower_title_idx ON public.tasks (lower(title) text_pattern_ops);  -- expression
CREATE INDEX tasks_labels_gin ON public.tasks USING gin (labels);
CREATE INDEX tasks_parent_id_idx ON public.tasks (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX task_comments_task_created_idx ON public.task_comments (task_id, created_at DESC);
CREATE INDEX audit_log_entity_idx ON public.audit_log (entity, entity_id);
CREATE INDEX raw_events_day_path_idx ON public.raw_events (occurred_on, path);
CREATE UNIQUE INDEX users_lower_email_key ON public.users (lower(email::text));
CREATE INDEX invoices_org_issued_idx ON billing.invoices (org_id, issued_at DESC) INCLUDE (total);
CREATE INDEX usage_records_org_day_idx ON billing.usage_records (org_id, recorded_on);
CREATE INDEX "Customer Notes_pinned_idx" ON billing."Customer Notes" (org_id) WHERE pinned;
COMMENT ON INDEX public.tasks_open_assignee_idx IS 'Serves the "my open tasks" page';

-- ------------------------------------------------------------------------
-- Triggers
-- ------------------------------------------------------------------------
CREATE TRIGGER tasks_touch_updated_at
    BEFORE UPDATE ON public.tasks
    FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();
CREATE TRIGGER projects_audit_insert
    AFTER INSERT ON public.projects
    FOR EACH ROW EXECUTE FUNCTION public.log_project_insert();

-- ------------------------------------------------------------------------
-- Data
-- ------------------------------------------------------------------------
-- Organizations: 50 * scale
INSERT INTO public.organizations (id, name, slug, plan, settings, created_at)
SELECT md5('org' || i)::uuid,
       (ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell', 'Müller & Söhne'])[1 + i % 10]
           || ' ' || i,
       'org-' || i,
       (ARRAY['free', 'starter', 'pro', 'enterprise'])[1 + i % 4]::billing.plan_tier,
       CASE WHEN i % 7 = 0 THEN NULL
            ELSE jsonb_build_object('theme', CASE WHEN i % 2 = 0 THEN 'dark' ELSE 'light' END,
                                    'seats', i * 3,
                                    'features', jsonb_build_array('sso', 'audit', i % 5),
                                    'billing_email', 'billing+' || i || '@example.com')
       END,
       timestamptz '2023-01-01 00:00:00+00' + i * interval '1 day 3 hours'
FROM generate_series(1, 50 * :scale) AS i
ORDER BY i;

-- Users: 500 * scale (ids 100, 110, 120, ... from the identity)
INSERT INTO public.users (org_id, email, display_name, locale, avatar, tags, last_login_at, created_at)
SELECT md5('org' || (1 + i % (50 * :scale)))::uuid,
       'user' || i || '@' || (ARRAY['example.com', 'example.org', 'beispiel.de'])[1 + i % 3],
       (ARRAY['José Müller', '山田 太郎', 'Ольга Петрова', 'محمد علي', 'Zoë 🚀 Smith',
              'श्रीनिवास', '김민준', 'Ελένη Παπαδοπούλου', 'O''Brien "Danny"', 'Åsa Ñúñez'])[1 + i % 10] || ' #' || i,
       CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN 'de' WHEN 2 THEN 'ja' ELSE 'en' END,
       CASE WHEN i % 4 = 0 THEN decode(md5('avatar' || i) || '00ff00' || md5('x' || i), 'hex') END,
       CASE WHEN i % 3 = 0 THEN NULL
            WHEN i % 3 = 1 THEN ARRAY['staff', 'beta']
            ELSE ARRAY['with space', 'quote"d', 'comma,d', '{braces}', 'NULL', '']
       END,
       CASE WHEN i % 6 = 0 THEN NULL ELSE timestamptz '2024-05-01 12:00:00+00' - i * interval '17 minutes' END,
       timestamptz '2023-02-01 08:00:00+00' + i * interval '5 hours'
FROM generate_series(1, 500 * :scale) AS i
ORDER BY i;

-- Projects: 200 * scale (ids 1..N from serial; the trigger writes audit_log)
INSERT INTO public.projects (org_id, slug, name, budget, archived, metadata, created_at)
SELECT md5('org' || (1 + i % (50 * :scale)))::uuid,
       'project-' || i,
       'Project ' || i || CASE WHEN i % 9 = 0 THEN ' — Phase Ⅱ 🚧' ELSE '' END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 1234.5 % 999999)::numeric(12,2) END,
       i % 11 = 0,
       jsonb_build_object('color', (ARRAY['red', 'green', 'blue'])[1 + i % 3],
                          'public', i % 2 = 0,
                          'score', i / 7.0,
                          'nested', jsonb_build_object('a', i, 'b', ARRAY[i, i + 1])),
       timestamptz '2023-03-01 09:30:00+00' + i * interval '13 hours'
FROM generate_series(1, 200 * :scale) AS i
ORDER BY i;

-- Project members: 3 per project
INSERT INTO public.project_members (project_id, user_id, role, joined_at)
SELECT p, 100 + 10 * (((p * 7 + k * 13) % (500 * :scale))), (ARRAY['owner', 'admin', 'member'])[k],
       timestamptz '2023-04-01 00:00:00+00' + (p * 3 + k) * interval '1 hour'
FROM generate_series(1, 200 * :scale) AS p, generate_series(1, 3) AS k
ORDER BY p, k;

-- Tasks: 5000 * scale (ids 1..N from the identity; every task whose
-- i % 10 <> 1 is a sub-task of the preceding "i % 10 = 1" task)
INSERT INTO public.tasks (project_id, parent_id, title, description, status, priority, assignee_id,
                          estimate_hours, risk_score, labels, checklist_done, due_date, created_at, updated_at)
SELECT 1 + i % (200 * :scale),
       CASE WHEN i % 10 = 1 THEN NULL ELSE i - ((i - 1) % 10) END,
       (ARRAY['Fix login bug', 'Write docs', 'Refactor billing', 'Design review', 'Ship v2',
              'Überprüfen der Rechnung', 'バグを修正する', 'Исправить отчёт', 'إصلاح الخطأ', 'Deploy 🚀'])[1 + i % 10]
           || ' (' || i || ')',
       CASE WHEN i % 4 = 0 THEN NULL
            WHEN i % 4 = 1 THEN 'Line one' || E'\n' || 'line two with tab' || E'\t' || 'and backslash \ and "quotes"'
            ELSE 'Plain description for task ' || i
       END,
       (ARRAY['backlog', 'todo', 'in_progress', 'review', 'done', 'cancelled'])[1 + i % 6]::public.task_status,
       CASE WHEN i % 5 = 0 THEN NULL ELSE (ARRAY['low', 'medium', 'high', 'urgent'])[1 + i % 4]::public.priority END,
       CASE WHEN i % 8 = 0 THEN NULL ELSE 100 + 10 * (i % (500 * :scale)) END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE ((i % 40) * 0.25)::numeric(6,2) END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 1000) / 7.0::float8 END,
       CASE WHEN i % 2 = 0 THEN ARRAY['frontend', 'p' || (i % 4)] WHEN i % 7 = 0 THEN '{}'::text[] END,
       CASE WHEN i % 3 = 0 THEN ARRAY[1, 2, i % 5] WHEN i % 3 = 1 THEN NULL ELSE ARRAY[]::integer[] END,
       CASE WHEN i % 4 = 0 THEN NULL ELSE date '2024-06-01' + (i % 90) END,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '37 minutes',
       timestamptz '2024-01-02 00:00:00+00' + i * interval '41 minutes'
FROM generate_series(1, 5000 * :scale) AS i
ORDER BY i;

-- FEATURE: two text values larger than 1 MB (inserted, not updated, so the
-- touch trigger does not run).
INSERT INTO public.tasks (project_id, title, description, status, priority, created_at, updated_at)
VALUES (1, 'Huge spec document', repeat('Lorem ipsum ünïcødé 🚀 text. ', 40000), 'review', 'urgent',
        '2024-03-03 03:03:03+00', '2024-03-04 04:04:04+00'),
       (2, 'Huge log paste', repeat(md5('log') || E' \\ line\n', 32000), 'todo', 'medium',
        '2024-03-05 05:05:05+00', '2024-03-05 06:06:06+00');

-- Task watchers (multi-column FK into project_members)
INSERT INTO public.task_watchers (task_id, project_id, user_id, since)
SELECT t.id, m.project_id, m.user_id, t.created_at + interval '1 hour'
FROM public.tasks t
JOIN public.project_members m ON m.project_id = t.project_id AND m.role = 'owner'
WHERE t.id % 3 = 0
ORDER BY t.id;

-- Comments: 8000 * scale, uuid keys
INSERT INTO public.task_comments (id, task_id, author_id, body, edited_at, created_at)
SELECT md5('comment' || i)::uuid,
       1 + (i * 7) % (5000 * :scale),
       CASE WHEN i % 9 = 0 THEN NULL ELSE 100 + 10 * (i % (500 * :scale)) END,
       CASE i % 6
           WHEN 0 THEN 'LGTM 👍'
           WHEN 1 THEN 'Multi' || E'\n' || 'line' || E'\r\n' || 'comment with tab' || E'\t' || 'end'
           WHEN 2 THEN 'Backslashes \N \\N \t literal, and a ''single'' and "double" quote'
           WHEN 3 THEN 'Kommentar auf Deutsch: Größe, Straße, Äpfel'
           WHEN 4 THEN '日本語のコメント・中文评论・한국어 댓글'
           ELSE 'Comment #' || i || ' 🎉🔥 zero-width​joiner‍ test'
       END,
       CASE WHEN i % 4 = 0 THEN timestamptz '2024-02-01 00:00:00+00' + i * interval '11 minutes' END,
       timestamptz '2024-01-15 00:00:00+00' + i * interval '7 minutes'
FROM generate_series(1, 8000 * :scale) AS i
ORDER BY i;

-- Extra audit_log rows (in addition to the ones written by the trigger)
INSERT INTO public.audit_log (action, entity, entity_id, actor_id, at, details)
SELECT (ARRAY['update', 'delete', 'login'])[1 + i % 3], 'task', (1 + i % 5000)::text,
       CASE WHEN i % 5 = 0 THEN NULL ELSE 100 + 10 * (i % 500) END,
       timestamptz '2024-04-01 00:00:00+00' + i * interval '3 minutes',
       CASE WHEN i % 2 = 0 THEN jsonb_build_object('field', 'status', 'old', 'todo', 'new', 'done') END
FROM generate_series(1, 1000 * :scale) AS i
ORDER BY i;

-- Raw events: 3000 * scale rows, only ~ 1/3 distinct => many duplicates
INSERT INTO public.raw_events (occurred_on, path, user_id, duration_ms, user_agent)
SELECT date '2024-05-01' + (i % 10),
       (ARRAY['/', '/tasks', '/projects/1', '/billing', '/search?q=ü'])[1 + i % 5],
       CASE WHEN i % 7 = 0 THEN NULL ELSE 100 + 10 * (i % 50) END,
       (i % 1000) * 3,
       CASE WHEN i % 2 = 0 THEN 'Mozilla/5.0' END
FROM generate_series(1, 3000 * :scale) AS g(n), LATERAL (SELECT n % 1000 AS i) AS x
ORDER BY n;
-- and some rows that are exact duplicates including NULLs
INSERT INTO public.raw_events (occurred_on, path, user_id, duration_ms, user_agent)
SELECT date '2024-05-02', '/dup', NULL, NULL, NULL FROM generate_series(1, 5);

-- Background tasks: contain a connection string with a password.  These rows
-- must NEVER reach the target (nor the state file).
INSERT INTO public.background_tasks (kind, payload, run_at, attempts, last_error)
SELECT (ARRAY['sync', 'export', 'email'])[1 + i % 3],
       jsonb_build_object('target', 'postgresql://admin:S3cretPassw0rd!@db.example.com/prod',
                          'batch', i),
       timestamptz '2024-06-01 00:00:00+00' + i * interval '1 minute',
       i % 4,
       CASE WHEN i % 4 = 3 THEN 'connection to postgresql://admin:S3cretPassw0rd!@db.example.com failed' END
FROM generate_series(1, 100 * :scale) AS i
ORDER BY i;

-- Invoices: 600 * scale; number comes from the DEFAULT (SQL function + sequence)
INSERT INTO billing.invoices (id, org_id, total, currency, issued_at, paid_at, pdf)
SELECT md5('invoice' || i)::uuid,
       md5('org' || (1 + i % (50 * :scale)))::uuid,
       (i * 19.99 % 100000)::numeric(12,2),
       CASE WHEN i % 10 = 0 THEN 'USD' ELSE 'EUR' END,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '8 hours',
       CASE WHEN i % 3 = 0 THEN NULL ELSE timestamptz '2024-01-01 00:00:00+00' + i * interval '8 hours' + interval '5 days' END,
       CASE WHEN i % 5 = 0 THEN decode('255044462d312e340a00' || md5('pdf' || i) || '00', 'hex') END
FROM generate_series(1, 600 * :scale) AS i
ORDER BY i;
-- FEATURE: a bytea value larger than 1 MB (with NUL bytes)
INSERT INTO billing.invoices (id, org_id, total, issued_at, pdf)
VALUES (md5('invoice-big')::uuid, md5('org1')::uuid, 1234567.89, '2024-12-31 23:59:59+00',
        decode(repeat('00ff10205c0a0d27' || md5('big'), 50000), 'hex'));

-- Invoice lines: 1..3 per invoice; amount is GENERATED
INSERT INTO billing.invoice_lines (invoice_id, line_no, description, quantity, unit_price)
SELECT md5('invoice' || i)::uuid, k,
       (ARRAY['Seats', 'Storage (GB)', 'Support — premium'])[k],
       (i % 17 + k * 0.125)::numeric(10,3),
       (k * 9.99 + i % 3)::numeric(12,2)
FROM generate_series(1, 600 * :scale) AS i, generate_series(1, 3) AS k
WHERE k <= 1 + i % 3
ORDER BY i, k;

INSERT INTO billing."Customer Notes" (org_id, "Note Text", "createdBy", pinned, created_at)
SELECT md5('org' || (1 + i % (50 * :scale)))::uuid,
       CASE WHEN i % 5 = 0 THEN 'Called customer; they want SSO 🔐' ELSE 'Note ' || i || E':\nfollow up' END,
       CASE WHEN i % 4 = 0 THEN NULL ELSE 'am' || (i % 3) || '@corp.example' END,
       CASE WHEN i % 6 = 0 THEN NULL ELSE i % 3 = 0 END,
       timestamptz '2024-02-02 02:02:02+00' + i * interval '2 hours'
FROM generate_series(1, 300 * :scale) AS i
ORDER BY i;

INSERT INTO billing.usage_records (id, org_id, recorded_on, metric, quantity)
SELECT i, md5('org' || (1 + i % (50 * :scale)))::uuid,
       date '2024-01-01' + (i % 366),
       (ARRAY['api_calls', 'storage_gb', 'seats'])[1 + i % 3],
       (i * 37) % 100000
FROM generate_series(1, 4000 * :scale) AS i
ORDER BY i;

-- ------------------------------------------------------------------------
-- Sequence state
-- ------------------------------------------------------------------------
SELECT setval('public.external_ref_seq', 4242);               -- is_called = true
SELECT setval('public.reserved_ticket_seq', 10, false);       -- is_called = false
SELECT nextval('public.descending_seq'), nextval('public.descending_seq');  -- 0, -3

-- ------------------------------------------------------------------------
-- Views
-- ------------------------------------------------------------------------
-- FEATURE: SQL function whose body references a table (must be created after
-- public.tasks, or with check_function_bodies = off); used by a view.
CREATE FUNCTION public.open_task_count(p_project_id integer) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT count(*) FROM public.tasks WHERE project_id = p_project_id AND status NOT IN ('done', 'cancelled') $$;

CREATE VIEW public.project_overview AS
SELECT p.id AS project_id, p.slug, o.name AS organization, o.plan,
       count(t.id) AS task_count,
       count(t.id) FILTER (WHERE t.status = 'done') AS done_count,
       public.open_task_count(p.id) AS open_count
FROM public.projects p
JOIN public.organizations o ON o.id = p.org_id
LEFT JOIN public.tasks t ON t.project_id = p.id
GROUP BY p.id, p.slug, o.name, o.plan;
COMMENT ON VIEW public.project_overview IS 'Per-project task counts';

CREATE VIEW billing.org_revenue AS
SELECT o.id AS org_id, o.name, sum(i.total) AS invoiced, sum(i.total) FILTER (WHERE i.paid_at IS NOT NULL) AS paid
FROM public.organizations o
JOIN billing.invoices i ON i.org_id = o.id
GROUP BY o.id, o.name;

-- ------------------------------------------------------------------------
-- Row level security
-- ------------------------------------------------------------------------
ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.invoices FORCE ROW LEVEL SECURITY;

CREATE POLICY projects_tenant_isolation ON public.projects
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY tasks_tenant_isolation ON public.tasks
    AS PERMISSIVE FOR ALL
    USING (project_id IN (SELECT p.id FROM public.projects p
                          WHERE p.org_id = nullif(current_setting('app.org_id', true), '')::uuid));
CREATE POLICY tasks_hide_cancelled ON public.tasks
    AS RESTRICTIVE FOR SELECT TO PUBLIC
    USING (status <> 'cancelled');
CREATE POLICY invoices_tenant_read ON billing.invoices
    FOR SELECT
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
CREATE POLICY invoices_tenant_write ON billing.invoices
    FOR INSERT
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid AND total >= 0);

ANALYZE;
