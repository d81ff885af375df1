/*
 * pq_shims.c - failing stand-ins for GSSAPI and OpenLDAP, used only by the
 * static clonebox build.
 *
 * WHAT THIS REPLACES
 *   Debian 12's static libpq (/usr/lib/x86_64-linux-gnu/libpq.a from
 *   libpq-dev 15.x) is compiled with GSSAPI (Kerberos) and LDAP support, so
 *   it references these symbols:
 *
 *     GSSAPI (MIT krb5, normally libgssapi_krb5):
 *       GSS_C_NT_HOSTBASED_SERVICE, gss_acquire_cred, gss_delete_sec_context,
 *       gss_display_status, gss_import_name, gss_init_sec_context,
 *       gss_release_buffer, gss_release_cred, gss_release_name, gss_unwrap,
 *       gss_wrap, gss_wrap_size_limit
 *     OpenLDAP (normally libldap):
 *       ldap_count_entries, ldap_err2string, ldap_first_entry,
 *       ldap_get_values_len, ldap_init, ldap_msgfree, ldap_result,
 *       ldap_search_st, ldap_set_option, ldap_simple_bind, ldap_unbind,
 *       ldap_value_free_len
 *
 * WHY
 *   Debian ships no static libgssapi_krb5.a or libldap.a, so a fully static
 *   link of libpq.a cannot be completed without providing these symbols.
 *   clonebox does not support Kerberos/GSSAPI authentication or encryption,
 *   nor LDAP lookups in pg_service.conf.  Every function here fails (or, for
 *   the release functions, does nothing), and libpq turns that into an
 *   ordinary connection error:
 *
 *   - gss_acquire_cred fails, so with the default gssencmode=prefer libpq
 *     silently skips GSS encryption; with gssencmode=require libpq reports
 *     "GSSAPI encryption required but was impossible (...)".
 *   - If a server demands GSSAPI authentication, gss_import_name fails and
 *     libpq reports "GSSAPI name import error: GSSAPI is not available in
 *     this static clonebox build: ..." (text from gss_display_status below).
 *   - An "ldap://..." line in pg_service.conf makes libpq call ldap_init,
 *     which returns NULL; libpq then reports "could not create LDAP
 *     structure" and the connection fails.
 *
 *   No krb5 or ldap headers are needed: the prototypes below are declared
 *   with ABI-compatible types (MIT krb5 gssapi.h and OpenLDAP ldap.h on
 *   x86-64 Linux): OM_uint32 is a 32-bit unsigned integer, handles are
 *   pointers to opaque structs, gss_buffer_desc is {size_t length; void
 *   *value;}, gss_OID_desc is {OM_uint32 length; void *elements;}.
 *
 *   Only vendor/pq_shims.c is compiled into the static binary; the dynamic
 *   (--asan) build links the real shared libpq and must NOT include this file.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* ------------------------------------------------------------------ */
/* GSSAPI                                                              */
/* ------------------------------------------------------------------ */

typedef uint32_t OM_uint32;
typedef OM_uint32 gss_qop_t;
typedef int gss_cred_usage_t;

typedef struct gss_name_struct *gss_name_t;
typedef struct gss_cred_id_struct *gss_cred_id_t;
typedef struct gss_ctx_id_struct *gss_ctx_id_t;
typedef struct gss_channel_bindings_struct *gss_channel_bindings_t;

typedef struct gss_OID_desc_struct {
	OM_uint32 length;
	void *elements;
} gss_OID_desc, *gss_OID;

typedef struct gss_OID_set_desc_struct {
	size_t count;
	gss_OID elements;
} gss_OID_set_desc, *gss_OID_set;

typedef struct gss_buffer_desc_struct {
	size_t length;
	void *value;
} gss_buffer_desc, *gss_buffer_t;

#define GSS_S_COMPLETE 0u
#define GSS_S_FAILURE (((OM_uint32)13u) << 16) /* routine error 13 */
#define GSS_C_GSS_CODE 1

#define PQ_SHIM_GSS_MSG "GSSAPI is not available in this static clonebox build"
#define PQ_SHIM_GSS_MECH_MSG "no Kerberos/GSSAPI library is linked in"

/* Prototypes (ABI-compatible with MIT krb5 <gssapi/gssapi.h>). */
extern gss_OID GSS_C_NT_HOSTBASED_SERVICE;
OM_uint32 gss_acquire_cred(OM_uint32 *minor_status, gss_name_t desired_name,
                           OM_uint32 time_req, gss_OID_set desired_mechs,
                           gss_cred_usage_t cred_usage,
                           gss_cred_id_t *output_cred_handle,
                           gss_OID_set *actual_mechs, OM_uint32 *time_rec);
OM_uint32 gss_delete_sec_context(OM_uint32 *minor_status,
                                 gss_ctx_id_t *context_handle,
                                 gss_buffer_t output_token);
OM_uint32 gss_display_status(OM_uint32 *minor_status, OM_uint32 status_value,
                             int status_type, gss_OID mech_type,
                             OM_uint32 *message_context,
                             gss_buffer_t status_string);
OM_uint32 gss_import_name(OM_uint32 *minor_status,
                          gss_buffer_t input_name_buffer,
                          gss_OID input_name_type, gss_name_t *output_name);
OM_uint32 gss_init_sec_context(OM_uint32 *minor_status,
                               gss_cred_id_t claimant_cred_handle,
                               gss_ctx_id_t *context_handle,
                               gss_name_t target_name, gss_OID mech_type,
                               OM_uint32 req_flags, OM_uint32 time_req,
                               gss_channel_bindings_t input_chan_bindings,
                               gss_buffer_t input_token,
                               gss_OID *actual_mech_type,
                               gss_buffer_t output_token, OM_uint32 *ret_flags,
                               OM_uint32 *time_rec);
OM_uint32 gss_release_buffer(OM_uint32 *minor_status, gss_buffer_t buffer);
OM_uint32 gss_release_cred(OM_uint32 *minor_status, gss_cred_id_t *cred_handle);
OM_uint32 gss_release_name(OM_uint32 *minor_status, gss_name_t *input_name);
OM_uint32 gss_unwrap(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                     gss_buffer_t input_message_buffer,
                     gss_buffer_t output_message_buffer, int *conf_state,
                     gss_qop_t *qop_state);
OM_uint32 gss_wrap(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                   int conf_req_flag, gss_qop_t qop_req,
                   gss_buffer_t input_message_buffer, int *conf_state,
                   gss_buffer_t output_message_buffer);
OM_uint32 gss_wrap_size_limit(OM_uint32 *minor_status,
                              gss_ctx_id_t context_handle, int conf_req_flag,
                              gss_qop_t qop_req, OM_uint32 req_output_size,
                              OM_uint32 *max_input_size);

/* 1.2.840.113554.1.2.1.4 (GSS_C_NT_HOSTBASED_SERVICE), DER body as in RFC 2744. */
static unsigned char pq_shim_hostbased_service_der[10] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04
};
static gss_OID_desc pq_shim_hostbased_service_oid = {
	sizeof pq_shim_hostbased_service_der, pq_shim_hostbased_service_der
};
gss_OID GSS_C_NT_HOSTBASED_SERVICE = &pq_shim_hostbased_service_oid;

static void pq_shim_set_minor(OM_uint32 *minor_status)
{
	if (minor_status)
		*minor_status = 0;
}

static void pq_shim_empty_buffer(gss_buffer_t buf)
{
	if (buf) {
		buf->length = 0;
		buf->value = NULL;
	}
}

OM_uint32 gss_acquire_cred(OM_uint32 *minor_status, gss_name_t desired_name,
                           OM_uint32 time_req, gss_OID_set desired_mechs,
                           gss_cred_usage_t cred_usage,
                           gss_cred_id_t *output_cred_handle,
                           gss_OID_set *actual_mechs, OM_uint32 *time_rec)
{
	(void)desired_name;
	(void)time_req;
	(void)desired_mechs;
	(void)cred_usage;
	pq_shim_set_minor(minor_status);
	if (output_cred_handle)
		*output_cred_handle = NULL;
	if (actual_mechs)
		*actual_mechs = NULL;
	if (time_rec)
		*time_rec = 0;
	return GSS_S_FAILURE;
}

OM_uint32 gss_delete_sec_context(OM_uint32 *minor_status,
                                 gss_ctx_id_t *context_handle,
                                 gss_buffer_t output_token)
{
	/* Nothing can have been created; just clear the caller's handle. */
	pq_shim_set_minor(minor_status);
	if (context_handle)
		*context_handle = NULL;
	pq_shim_empty_buffer(output_token);
	return GSS_S_COMPLETE;
}

OM_uint32 gss_display_status(OM_uint32 *minor_status, OM_uint32 status_value,
                             int status_type, gss_OID mech_type,
                             OM_uint32 *message_context,
                             gss_buffer_t status_string)
{
	const char *msg;
	size_t len;

	(void)status_value;
	(void)mech_type;
	pq_shim_set_minor(minor_status);
	if (message_context)
		*message_context = 0; /* exactly one message per status */
	if (!status_string)
		return GSS_S_FAILURE;
	pq_shim_empty_buffer(status_string);

	/* libpq asks once for the major (GSS) code and once for the minor
	 * (mechanism) code and prints "prefix: <major>: <minor>". */
	msg = status_type == GSS_C_GSS_CODE ? PQ_SHIM_GSS_MSG : PQ_SHIM_GSS_MECH_MSG;
	len = strlen(msg);
	status_string->value = malloc(len + 1);
	if (!status_string->value)
		return GSS_S_FAILURE;
	memcpy(status_string->value, msg, len + 1);
	status_string->length = len;
	return GSS_S_COMPLETE;
}

OM_uint32 gss_import_name(OM_uint32 *minor_status,
                          gss_buffer_t input_name_buffer,
                          gss_OID input_name_type, gss_name_t *output_name)
{
	(void)input_name_buffer;
	(void)input_name_type;
	pq_shim_set_minor(minor_status);
	if (output_name)
		*output_name = NULL;
	return GSS_S_FAILURE;
}

OM_uint32 gss_init_sec_context(OM_uint32 *minor_status,
                               gss_cred_id_t claimant_cred_handle,
                               gss_ctx_id_t *context_handle,
                               gss_name_t target_name, gss_OID mech_type,
                               OM_uint32 req_flags, OM_uint32 time_req,
                               gss_channel_bindings_t input_chan_bindings,
                               gss_buffer_t input_token,
                               gss_OID *actual_mech_type,
                               gss_buffer_t output_token, OM_uint32 *ret_flags,
                               OM_uint32 *time_rec)
{
	(void)claimant_cred_handle;
	(void)target_name;
	(void)mech_type;
	(void)req_flags;
	(void)time_req;
	(void)input_chan_bindings;
	(void)input_token;
	pq_shim_set_minor(minor_status);
	/* *context_handle is left as the caller set it (always NULL here,
	 * since no call can ever have succeeded). */
	(void)context_handle;
	if (actual_mech_type)
		*actual_mech_type = NULL;
	pq_shim_empty_buffer(output_token); /* libpq sends it only if length != 0 */
	if (ret_flags)
		*ret_flags = 0;
	if (time_rec)
		*time_rec = 0;
	return GSS_S_FAILURE;
}

OM_uint32 gss_release_buffer(OM_uint32 *minor_status, gss_buffer_t buffer)
{
	/* Frees only what gss_display_status allocated (or nothing). */
	pq_shim_set_minor(minor_status);
	if (buffer) {
		free(buffer->value);
		buffer->value = NULL;
		buffer->length = 0;
	}
	return GSS_S_COMPLETE;
}

OM_uint32 gss_release_cred(OM_uint32 *minor_status, gss_cred_id_t *cred_handle)
{
	pq_shim_set_minor(minor_status);
	if (cred_handle)
		*cred_handle = NULL;
	return GSS_S_COMPLETE;
}

OM_uint32 gss_release_name(OM_uint32 *minor_status, gss_name_t *input_name)
{
	pq_shim_set_minor(minor_status);
	if (input_name)
		*input_name = NULL;
	return GSS_S_COMPLETE;
}

OM_uint32 gss_unwrap(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                     gss_buffer_t input_message_buffer,
                     gss_buffer_t output_message_buffer, int *conf_state,
                     gss_qop_t *qop_state)
{
	(void)context_handle;
	(void)input_message_buffer;
	pq_shim_set_minor(minor_status);
	pq_shim_empty_buffer(output_message_buffer);
	if (conf_state)
		*conf_state = 0;
	if (qop_state)
		*qop_state = 0;
	return GSS_S_FAILURE;
}

OM_uint32 gss_wrap(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                   int conf_req_flag, gss_qop_t qop_req,
                   gss_buffer_t input_message_buffer, int *conf_state,
                   gss_buffer_t output_message_buffer)
{
	(void)context_handle;
	(void)conf_req_flag;
	(void)qop_req;
	(void)input_message_buffer;
	pq_shim_set_minor(minor_status);
	if (conf_state)
		*conf_state = 0;
	pq_shim_empty_buffer(output_message_buffer);
	return GSS_S_FAILURE;
}

OM_uint32 gss_wrap_size_limit(OM_uint32 *minor_status,
                              gss_ctx_id_t context_handle, int conf_req_flag,
                              gss_qop_t qop_req, OM_uint32 req_output_size,
                              OM_uint32 *max_input_size)
{
	(void)context_handle;
	(void)conf_req_flag;
	(void)qop_req;
	(void)req_output_size;
	pq_shim_set_minor(minor_status);
	if (max_input_size)
		*max_input_size = 0;
	return GSS_S_FAILURE;
}

/* ------------------------------------------------------------------ */
/* OpenLDAP                                                            */
/* ------------------------------------------------------------------ */

typedef struct ldap LDAP;
typedef struct ldapmsg LDAPMessage;
struct berval {
	unsigned long bv_len; /* ber_len_t */
	char *bv_val;
};

#define PQ_SHIM_LDAP_ERROR (-1) /* LDAP_SERVER_DOWN */

/* Prototypes (ABI-compatible with OpenLDAP <ldap.h>). */
int ldap_count_entries(LDAP *ld, LDAPMessage *chain);
char *ldap_err2string(int err);
LDAPMessage *ldap_first_entry(LDAP *ld, LDAPMessage *chain);
struct berval **ldap_get_values_len(LDAP *ld, LDAPMessage *entry,
                                    const char *target);
LDAP *ldap_init(const char *host, int port);
int ldap_msgfree(LDAPMessage *lm);
int ldap_result(LDAP *ld, int msgid, int all, struct timeval *timeout,
                LDAPMessage **result);
int ldap_search_st(LDAP *ld, const char *base, int scope, const char *filter,
                   char **attrs, int attrsonly, struct timeval *timeout,
                   LDAPMessage **res);
int ldap_set_option(LDAP *ld, int option, const void *invalue);
int ldap_simple_bind(LDAP *ld, const char *who, const char *passwd);
int ldap_unbind(LDAP *ld);
void ldap_value_free_len(struct berval **vals);

static char pq_shim_ldap_msg[] = "LDAP is not available in this static clonebox build";

LDAP *ldap_init(const char *host, int port)
{
	/* libpq: "could not create LDAP structure"; lookup fails cleanly. */
	(void)host;
	(void)port;
	return NULL;
}

char *ldap_err2string(int err)
{
	(void)err;
	return pq_shim_ldap_msg;
}

int ldap_set_option(LDAP *ld, int option, const void *invalue)
{
	(void)ld;
	(void)option;
	(void)invalue;
	return PQ_SHIM_LDAP_ERROR;
}

int ldap_simple_bind(LDAP *ld, const char *who, const char *passwd)
{
	(void)ld;
	(void)who;
	(void)passwd;
	return -1; /* no message id */
}

int ldap_result(LDAP *ld, int msgid, int all, struct timeval *timeout,
                LDAPMessage **result)
{
	(void)ld;
	(void)msgid;
	(void)all;
	(void)timeout;
	if (result)
		*result = NULL;
	return -1;
}

int ldap_search_st(LDAP *ld, const char *base, int scope, const char *filter,
                   char **attrs, int attrsonly, struct timeval *timeout,
                   LDAPMessage **res)
{
	(void)ld;
	(void)base;
	(void)scope;
	(void)filter;
	(void)attrs;
	(void)attrsonly;
	(void)timeout;
	if (res)
		*res = NULL;
	return PQ_SHIM_LDAP_ERROR;
}

int ldap_count_entries(LDAP *ld, LDAPMessage *chain)
{
	(void)ld;
	(void)chain;
	return -1;
}

LDAPMessage *ldap_first_entry(LDAP *ld, LDAPMessage *chain)
{
	(void)ld;
	(void)chain;
	return NULL;
}

struct berval **ldap_get_values_len(LDAP *ld, LDAPMessage *entry,
                                    const char *target)
{
	(void)ld;
	(void)entry;
	(void)target;
	return NULL;
}

int ldap_msgfree(LDAPMessage *lm)
{
	(void)lm; /* never allocated by these shims */
	return 0;
}

int ldap_unbind(LDAP *ld)
{
	(void)ld; /* never allocated by these shims */
	return 0;
}

void ldap_value_free_len(struct berval **vals)
{
	(void)vals; /* never allocated by these shims */
}
