/* targets.c: the table of targets and the open wrapper. */
#include "exec/targets.h"

#include <stdio.h>
#include <string.h>

const struct hcf_target_ops *const hcf_targets[] = {
	&hcf_target_kvm_ops,
	&hcf_target_qemu_ops,
	&hcf_target_nested_ops,
	&hcf_target_xen_pv_ops,
	&hcf_target_xen_pvh_ops,
	&hcf_target_solo5_ops,
	&hcf_target_model_ops,
	NULL,
};

const struct hcf_target_ops *hcf_target_find(const char *name)
{
	for (size_t i = 0; hcf_targets[i]; i++)
		if (!strcmp(hcf_targets[i]->name, name))
			return hcf_targets[i];
	return NULL;
}

int hcf_target_open(const char *name, struct hcf_target **out, const struct hcf_abi *abi,
		    const struct hcf_target_opts *opts, char *err, size_t errlen)
{
	const struct hcf_target_ops *ops = hcf_target_find(name);
	*out = NULL;
	if (!ops) {
		size_t n = (size_t)snprintf(err, errlen, "unknown target '%s' (", name);
		for (size_t i = 0; hcf_targets[i] && n < errlen; i++)
			n += (size_t)snprintf(err + n, errlen - n, "%s%s", i ? ", " : "", hcf_targets[i]->name);
		if (n < errlen)
			snprintf(err + n, errlen - n, ")");
		return -1;
	}
	return ops->open(out, abi, opts, err, errlen);
}
