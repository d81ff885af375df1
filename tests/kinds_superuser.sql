-- Schema kinds only a superuser can create, loaded after tests/kinds.sql
-- by tests/t_fidelity.sh for the superuser clones (the managed-target test
-- leaves it out): base and shell types, operators, operator classes and
-- families, text search parsers and templates, an access method, a
-- language with a transform, a foreign data wrapper with a server, user
-- mappings and foreign tables, and large objects.
-- a base type over a shell type (its I/O functions come between the two),
-- a shell type that stays one, operators (a commutator and a negator that
-- refer to each other), an operator family with loose members and a
-- default operator class used by a primary key
CREATE SCHEMA k3;
CREATE TYPE k3.myint;
CREATE FUNCTION k3.myint_in(cstring) RETURNS k3.myint LANGUAGE internal IMMUTABLE STRICT AS 'int4in';
CREATE FUNCTION k3.myint_out(k3.myint) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'int4out';
CREATE FUNCTION k3.myint_recv(internal) RETURNS k3.myint LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE FUNCTION k3.myint_send(k3.myint) RETURNS bytea LANGUAGE internal IMMUTABLE STRICT AS 'int4send';
CREATE TYPE k3.myint (INPUT = k3.myint_in, OUTPUT = k3.myint_out, RECEIVE = k3.myint_recv, SEND = k3.myint_send,
    INTERNALLENGTH = 4, PASSEDBYVALUE, ALIGNMENT = int4, STORAGE = plain, CATEGORY = 'N', DEFAULT = '7');
COMMENT ON TYPE k3.myint IS 'an int by another name';
CREATE TYPE k3."still a shell";
CREATE FUNCTION k3.myint_eq(k3.myint, k3.myint) RETURNS bool LANGUAGE internal IMMUTABLE STRICT AS 'int4eq';
CREATE FUNCTION k3.myint_ne(k3.myint, k3.myint) RETURNS bool LANGUAGE internal IMMUTABLE STRICT AS 'int4ne';
CREATE FUNCTION k3.myint_lt(k3.myint, k3.myint) RETURNS bool LANGUAGE internal IMMUTABLE STRICT AS 'int4lt';
CREATE FUNCTION k3.myint_le(k3.myint, k3.myint) RETURNS bool LANGUAGE internal IMMUTABLE STRICT AS 'int4le';
CREATE FUNCTION k3.myint_gt(k3.myint, k3.myint) RETURNS bool LANGUAGE internal IMMUTABLE STRICT AS 'int4gt';
CREATE FUNCTION k3.myint_ge(k3.myint, k3.myint) RETURNS bool LANGUAGE internal IMMUTABLE STRICT AS 'int4ge';
CREATE FUNCTION k3.myint_cmp(k3.myint, k3.myint) RETURNS int LANGUAGE internal IMMUTABLE STRICT AS 'btint4cmp';
CREATE FUNCTION k3.myint_hash(k3.myint) RETURNS int LANGUAGE internal IMMUTABLE STRICT AS 'hashint4';
CREATE OPERATOR k3.= (LEFTARG = k3.myint, RIGHTARG = k3.myint, FUNCTION = k3.myint_eq, COMMUTATOR = OPERATOR(k3.=),
    NEGATOR = OPERATOR(k3.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR k3.<> (LEFTARG = k3.myint, RIGHTARG = k3.myint, FUNCTION = k3.myint_ne, NEGATOR = OPERATOR(k3.=));
CREATE OPERATOR k3.< (LEFTARG = k3.myint, RIGHTARG = k3.myint, FUNCTION = k3.myint_lt, COMMUTATOR = OPERATOR(k3.>));
CREATE OPERATOR k3.<= (LEFTARG = k3.myint, RIGHTARG = k3.myint, FUNCTION = k3.myint_le);
CREATE OPERATOR k3.> (LEFTARG = k3.myint, RIGHTARG = k3.myint, FUNCTION = k3.myint_gt);
CREATE OPERATOR k3.>= (LEFTARG = k3.myint, RIGHTARG = k3.myint, FUNCTION = k3.myint_ge);
CREATE OPERATOR k3.!! (RIGHTARG = k3.myint, FUNCTION = k3.myint_out);
COMMENT ON OPERATOR k3.<(k3.myint, k3.myint) IS 'less than';
CREATE OPERATOR FAMILY k3.myint_fam USING btree;
CREATE OPERATOR CLASS k3.myint_ops DEFAULT FOR TYPE k3.myint USING btree FAMILY k3.myint_fam AS
    OPERATOR 1 k3.<, OPERATOR 2 k3.<=, OPERATOR 3 k3.=, OPERATOR 4 k3.>=, OPERATOR 5 k3.>,
    FUNCTION 1 k3.myint_cmp(k3.myint, k3.myint);
CREATE OPERATOR CLASS k3.myint_hash_ops DEFAULT FOR TYPE k3.myint USING hash AS
    OPERATOR 1 k3.=, FUNCTION 1 k3.myint_hash(k3.myint);
CREATE OPERATOR FAMILY k3."loose fam" USING hash;
ALTER OPERATOR FAMILY k3."loose fam" USING hash ADD OPERATOR 1 k3.=(k3.myint, k3.myint),
    FUNCTION 1 (k3.myint, k3.myint) k3.myint_hash(k3.myint);
COMMENT ON OPERATOR FAMILY k3."loose fam" USING hash IS 'members only';
COMMENT ON OPERATOR CLASS k3.myint_ops USING btree IS 'the default';
CREATE TABLE k3.things (id k3.myint PRIMARY KEY, label text);
INSERT INTO k3.things VALUES ('1', 'one'), ('2', 'two');
CREATE INDEX things_hash ON k3.things USING hash (id);

-- text search parser and template, a table access method, a procedural
-- language with a transform
CREATE TEXT SEARCH PARSER k3.prs (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end,
    LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
CREATE TEXT SEARCH TEMPLATE k3.tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
COMMENT ON TEXT SEARCH PARSER k3.prs IS 'the default parser again';
CREATE TEXT SEARCH DICTIONARY k3.dict (TEMPLATE = k3.tmpl);
CREATE TEXT SEARCH CONFIGURATION k3.cfg (PARSER = k3.prs);
ALTER TEXT SEARCH CONFIGURATION k3.cfg ADD MAPPING FOR word WITH k3.dict;
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;
COMMENT ON ACCESS METHOD heap2 IS 'heap under another name';
CREATE TABLE k3.on_heap2 (id int PRIMARY KEY, v text) USING heap2;
INSERT INTO k3.on_heap2 VALUES (1, 'a'), (2, 'b');
CREATE FUNCTION k3.pl_handler() RETURNS language_handler LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_call_handler';
CREATE TRUSTED LANGUAGE "pl two" HANDLER k3.pl_handler;
COMMENT ON LANGUAGE "pl two" IS 'plpgsql by another name';
GRANT USAGE ON LANGUAGE "pl two" TO cb_anon;
CREATE FUNCTION k3.tr_from(internal) RETURNS internal LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE FUNCTION k3.tr_to(internal) RETURNS k3.myint LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE TRANSFORM FOR k3.myint LANGUAGE "pl two" (FROM SQL WITH FUNCTION k3.tr_from(internal), TO SQL WITH FUNCTION k3.tr_to(internal));

-- a foreign data wrapper, a server, user mappings (one holds a password:
-- it must reach the target but never clonebox's state file), foreign
-- tables (one a partition)
CREATE FOREIGN DATA WRAPPER "k3 fdw" OPTIONS (debug 'true');
CREATE SERVER k3srv TYPE 'remote' VERSION '1.0' FOREIGN DATA WRAPPER "k3 fdw" OPTIONS (host 'example.invalid', port '5432');
COMMENT ON SERVER k3srv IS 'nowhere';
GRANT USAGE ON FOREIGN SERVER k3srv TO cb_anon;
ALTER SERVER k3srv OWNER TO cb_app_owner;
CREATE USER MAPPING FOR cb_app_owner SERVER k3srv OPTIONS (user 'remote', password 'um-canary-Secr3t');
CREATE USER MAPPING FOR PUBLIC SERVER k3srv;
CREATE FOREIGN TABLE k3.remote (id int OPTIONS (column_name 'ID') NOT NULL, v text DEFAULT 'x',
    CONSTRAINT remote_id CHECK (id > 0)) SERVER k3srv OPTIONS (table_name 'remote');
COMMENT ON FOREIGN TABLE k3.remote IS 'lives elsewhere';
COMMENT ON COLUMN k3.remote.v IS 'a remote column';
GRANT SELECT ON k3.remote TO cb_anon;
CREATE TABLE k3.split (k int NOT NULL, v text) PARTITION BY RANGE (k);
CREATE TABLE k3.split_local PARTITION OF k3.split FOR VALUES FROM (0) TO (100);
CREATE FOREIGN TABLE k3.split_remote PARTITION OF k3.split FOR VALUES FROM (100) TO (200) SERVER k3srv;
INSERT INTO k3.split VALUES (1, 'local');

-- large objects: owners, grants, comments, one of several chunks
SELECT lo_from_bytea(7001, 'hello, large object');
SELECT lo_from_bytea(7002, decode(repeat('0123456789abcdef', 200000), 'hex'));
SELECT lo_create(7003);
ALTER LARGE OBJECT 7001 OWNER TO cb_app_owner;
GRANT SELECT ON LARGE OBJECT 7002 TO cb_anon;
COMMENT ON LARGE OBJECT 7001 IS 'a note';
