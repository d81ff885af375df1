-- Schema kinds that clonebox clones, in the shapes that broke earlier
-- versions, with hostile names.  Loaded by tests/t_fidelity.sh into its
-- own source database (the shared fixture stays as it is).

CREATE SCHEMA "Weird ""Schema"" ñ";
CREATE SCHEMA "select";

-- a name of exactly 63 bytes
CREATE TABLE "select"."t_63_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" (id int PRIMARY KEY);
INSERT INTO "select"."t_63_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" VALUES (1), (2);

-- types
CREATE TYPE "Weird ""Schema"" ñ"."mood ☺" AS ENUM ('sad', 'ok', 'it''s fine');
CREATE DOMAIN "select".positive AS int CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE DOMAIN "select".lazy AS int;
ALTER DOMAIN "select".lazy ADD CONSTRAINT lazy_check CHECK (VALUE < 100) NOT VALID;
CREATE TYPE "select".pair AS (a int, b text COLLATE "C");

-- inheritance: a child created with INHERITS, one created first and
-- attached with INHERIT later (merged columns), a child with two parents,
-- and a NOT VALID check on the parent
CREATE TABLE "select".parent (id int PRIMARY KEY, a text DEFAULT 'x', CHECK (id > 0));
CREATE TABLE "select".child1 (b int) INHERITS ("select".parent);
ALTER TABLE "select".child1 ALTER COLUMN a SET DEFAULT 'child';
CREATE TABLE "select".child2 (id int NOT NULL CONSTRAINT parent_id_check CHECK (id > 0), a text, z int);
ALTER TABLE "select".child2 INHERIT "select".parent;
INSERT INTO "select".child1 VALUES (1, 'q', 2);
INSERT INTO "select".child2 VALUES (2, 'w', 3);
ALTER TABLE "select".parent ADD CONSTRAINT parent_small CHECK (id < 1000) NOT VALID;
CREATE TABLE "select"."no columns" ();
INSERT INTO "select"."no columns" DEFAULT VALUES;
INSERT INTO "select"."no columns" DEFAULT VALUES;
CREATE TABLE "select".two_parents (q int) INHERITS ("select".parent, "select"."no columns");

-- partitions: a CHECK on the partitioned table, a partition with its own
-- check, sub-partitions, a default partition, a partitioned index
CREATE TABLE "Weird ""Schema"" ñ".measures (k int NOT NULL, v int, note text,
    CONSTRAINT v_positive CHECK (v > 0)) PARTITION BY RANGE (k);
CREATE TABLE "Weird ""Schema"" ñ".measures_low PARTITION OF "Weird ""Schema"" ñ".measures FOR VALUES FROM (0) TO (10);
CREATE TABLE "Weird ""Schema"" ñ".measures_mid PARTITION OF "Weird ""Schema"" ñ".measures
    (CONSTRAINT mid_small CHECK (v < 1000)) FOR VALUES FROM (10) TO (20) PARTITION BY LIST (v);
CREATE TABLE "Weird ""Schema"" ñ".measures_mid_12 PARTITION OF "Weird ""Schema"" ñ".measures_mid FOR VALUES IN (1, 2);
CREATE TABLE "Weird ""Schema"" ñ".measures_other PARTITION OF "Weird ""Schema"" ñ".measures DEFAULT;
CREATE INDEX measures_k_idx ON "Weird ""Schema"" ñ".measures (k);
INSERT INTO "Weird ""Schema"" ñ".measures VALUES (1, 5, 'low'), (11, 1, 'mid'), (12, 2, NULL), (50, 7, 'other');

-- generated and identity columns, a column of a domain and an enum
CREATE TABLE "select"."order" (
    "user" int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    qty "select".positive NOT NULL,
    price numeric(10, 2) NOT NULL DEFAULT 0,
    total numeric GENERATED ALWAYS AS (qty * price) STORED,
    feeling "Weird ""Schema"" ñ"."mood ☺",
    "Mixed Case ""col""" text
);
INSERT INTO "select"."order" (qty, price, feeling, "Mixed Case ""col""") VALUES (2, 3.5, 'it''s fine', 'é'), (1, 1, 'sad', NULL);

-- a function whose body names a table by its unqualified name (created
-- before the table would be found on any search_path), and one used by a
-- view that needs a primary key (GROUP BY on the key)
CREATE FUNCTION "select".order_count() RETURNS bigint LANGUAGE sql STABLE
    SET search_path = "select" AS $$ SELECT count(*) FROM "order" $$;
CREATE VIEW "select".order_summary AS
    SELECT o."user", o.qty, count(*) AS n FROM "select"."order" o GROUP BY o."user";
CREATE MATERIALIZED VIEW "select".order_totals AS SELECT sum(total) AS total FROM "select"."order";
CREATE MATERIALIZED VIEW "select".order_totals_2 AS SELECT total * 2 AS doubled FROM "select".order_totals;

COMMENT ON TABLE "select".parent IS 'parent of children';
COMMENT ON COLUMN "select"."order"."Mixed Case ""col""" IS 'a column with a hostile name';
COMMENT ON SCHEMA "Weird ""Schema"" ñ" IS 'unicode ☺';

-- triggers, row-level security, policies
CREATE FUNCTION "select".stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.price := NEW.price; RETURN NEW; END $$;
CREATE TRIGGER "stamp it" BEFORE UPDATE ON "select"."order" FOR EACH ROW EXECUTE FUNCTION "select".stamp();
ALTER TABLE "select".parent ENABLE ROW LEVEL SECURITY;
CREATE POLICY small_ids ON "select".parent FOR SELECT USING (id < 500);
COMMENT ON FUNCTION "select".order_count() IS 'counts orders';

-- owners and privileges (the roles are created by the test on both servers):
-- another owner, a grant, a column grant, a SECURITY DEFINER function that
-- anon must not call, a schema and a type granted
ALTER TABLE "select".parent OWNER TO cb_app_owner;
ALTER TABLE "select".child1 OWNER TO cb_app_owner;
ALTER SCHEMA "Weird ""Schema"" ñ" OWNER TO cb_app_owner;
ALTER TYPE "Weird ""Schema"" ñ"."mood ☺" OWNER TO cb_app_owner;
GRANT SELECT ON "select"."order" TO cb_anon;
GRANT UPDATE ("Mixed Case ""col""") ON "select"."order" TO cb_anon;
GRANT USAGE ON SCHEMA "select" TO cb_anon;
GRANT USAGE ON TYPE "select".pair TO cb_anon;
CREATE FUNCTION "select".admin_only() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$ SELECT 42 $$;
REVOKE EXECUTE ON FUNCTION "select".admin_only() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION "select".order_count() FROM cb_anon;
GRANT EXECUTE ON FUNCTION "select".order_count() TO cb_app_owner WITH GRANT OPTION;

-- column storage, compression, statistics target and options; replica
-- identity; CLUSTER ON; an unlogged sequence; rules (one disabled);
-- extended statistics
ALTER TABLE "select".parent ALTER COLUMN a SET STORAGE EXTERNAL, ALTER COLUMN a SET COMPRESSION pglz,
    ALTER COLUMN a SET STATISTICS 200, ALTER COLUMN id SET (n_distinct = -0.5);
ALTER TABLE "select".parent REPLICA IDENTITY FULL;
CREATE INDEX child2_z_idx ON "select".child2 (z);
ALTER TABLE "select".child2 CLUSTER ON child2_z_idx;
CREATE UNLOGGED SEQUENCE "select".scratch_seq;
CREATE RULE "protect child1" AS ON DELETE TO "select".child1 DO INSTEAD NOTHING;
CREATE RULE log_update AS ON UPDATE TO "select".child2 DO ALSO NOTHING;
ALTER TABLE "select".child2 DISABLE RULE log_update;
CREATE STATISTICS "select".parent_stats (ndistinct, dependencies) ON id, a FROM "select".parent;
ALTER STATISTICS "select".parent_stats SET STATISTICS 300;

-- collations, text search (a configuration used by a generated column),
-- a range type, an aggregate used by a view
CREATE SCHEMA k2;
CREATE COLLATION k2.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION k2."c libc" (provider = libc, lc_collate = 'C', lc_ctype = 'C');
CREATE TEXT SEARCH DICTIONARY k2.simple_dict (TEMPLATE = pg_catalog.simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION k2.cfg (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION k2.cfg ADD MAPPING FOR asciiword, word WITH k2.simple_dict, english_stem;
CREATE TYPE k2.floatrange AS RANGE (SUBTYPE = float8, SUBTYPE_DIFF = float8mi);
CREATE FUNCTION k2.add_int(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE AGGREGATE k2.my_sum(int) (SFUNC = k2.add_int, STYPE = int, INITCOND = '0', PARALLEL = SAFE);
CREATE TABLE k2.docs (id int PRIMARY KEY, title text COLLATE k2.nocase, body text,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('k2.cfg'::regconfig, body)) STORED, span k2.floatrange, tag text COLLATE k2."c libc");
INSERT INTO k2.docs VALUES (1, 'Hello', 'the quick brown fox', DEFAULT, '[1.5,2.5)', 'x'), (2, 'hello', 'jumps over', DEFAULT, NULL, 'y');
CREATE VIEW k2.total AS SELECT k2.my_sum(id) FROM k2.docs;
CREATE TABLE k2.acls (id int PRIMARY KEY, a aclitem, aa aclitem[]);
INSERT INTO k2.acls VALUES (1, 'postgres=r/postgres', '{postgres=r/postgres}'), (2, NULL, NULL);

-- publications (a column list and a row filter, a schema, all tables) and
-- default privileges (database-wide and in one schema)
CREATE PUBLICATION "k2 pub" FOR TABLE k2.docs (id, title) WHERE (id > 0), TABLE k2.acls WITH (publish = 'insert, update');
CREATE PUBLICATION k2_schema FOR TABLES IN SCHEMA "select";
CREATE PUBLICATION k2_all FOR ALL TABLES WITH (publish_via_partition_root = true);
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO cb_anon;
ALTER DEFAULT PRIVILEGES IN SCHEMA k2 GRANT USAGE ON SEQUENCES TO cb_anon;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- a cast between user types, and an event trigger (disabled, as on the
-- source: clonebox creates event triggers last, with their state)
CREATE FUNCTION "select".pair_text("select".pair) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT ($1).a || ':' || ($1).b $$;
CREATE CAST ("select".pair AS text) WITH FUNCTION "select".pair_text("select".pair) AS ASSIGNMENT;
CREATE FUNCTION "select".on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER cb_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION "select".on_ddl();
ALTER EVENT TRIGGER cb_ddl DISABLE;
COMMENT ON EVENT TRIGGER cb_ddl IS 'watches DDL';

-- arrays of user types and composite values: their binary COPY form holds
-- type oids, which differ between the servers, so the table goes as text
CREATE TABLE "select".typed_values (id int PRIMARY KEY, moods "Weird ""Schema"" ñ"."mood ☺"[], p "select".pair, ps "select".pair[]);
INSERT INTO "select".typed_values VALUES (1, '{sad,ok}', '(1,x)', '{"(2,y)"}'), (2, NULL, NULL, '{}');
