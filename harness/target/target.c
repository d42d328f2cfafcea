/* target.c: what every target shares: its parameters. */
#include "target/target.h"

#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

/* "key" or "key=value": does p name key? Its value ("" for a bare key). */
static const char *param_value(const char *p, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(p, key, n) != 0)
		return NULL;
	if (p[n] == '\0')
		return p + n;
	return p[n] == '=' ? p + n + 1 : NULL;
}

const char *hcf_target_param(const struct hcf_target_opts *opts, const char *key)
{
	for (size_t i = 0; opts && i < opts->nparams && i < HCF_TARGET_MAX_PARAMS; i++) {
		const char *v = opts->params[i] ? param_value(opts->params[i], key) : NULL;
		if (v)
			return v;
	}
	return NULL;
}

int hcf_target_params_check(const struct hcf_target_opts *opts, const char *target,
			    const char *const keys[], char *err, size_t errlen)
{
	for (size_t i = 0; opts && i < opts->nparams && i < HCF_TARGET_MAX_PARAMS; i++) {
		bool known = false;
		for (size_t k = 0; keys[k] && !known; k++)
			known = opts->params[i] && param_value(opts->params[i], keys[k]) != NULL;
		if (!known) {
			size_t used = (size_t)snprintf(err, errlen, "target %s has no parameter '%s' (it has",
						       target, opts->params[i] ? opts->params[i] : "");
			for (size_t k = 0; keys[k] && used < errlen; k++)
				used += (size_t)snprintf(err + used, errlen - used, "%s%s", k ? ", " : " ",
							 keys[k]);
			if (!keys[0] && used < errlen)
				used += (size_t)snprintf(err + used, errlen - used, " none");
			if (used < errlen)
				snprintf(err + used, errlen - used, ")");
			return -1;
		}
	}
	return 0;
}

char *hcf_target_params_join(const char *const *params, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(params[i]) + 1;
	char *s = hcf_xcalloc(len, 1), *w = s;
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "%s%s", i ? "\n" : "", params[i]);
	return s;
}

int hcf_target_params_split(struct hcf_target_opts *opts, char *list)
{
	opts->nparams = 0;
	for (char *p = list, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (!*p)
			continue;
		if (opts->nparams >= HCF_TARGET_MAX_PARAMS)
			return -1;
		opts->params[opts->nparams++] = p;
	}
	return 0;
}
