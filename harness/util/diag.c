/* diag.c: file:line:column diagnostics lists. */
#include "util/diag.h"

#include <string.h>

void hcf_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void hcf_diags_init(struct hcf_diags *ds)
{
	memset(ds, 0, sizeof(*ds));
}

void hcf_diag_vadd(struct hcf_diags *ds, const struct hcf_srcpos *pos, const char *fmt, va_list ap)
{
	if (!ds)
		return;
	if (ds->n >= HCF_DIAG_MAX) {
		ds->dropped++;
		return;
	}
	struct hcf_diag *d = &ds->d[ds->n++];
	memset(d, 0, sizeof(*d));
	if (pos && pos->file)
		snprintf(d->file, sizeof(d->file), "%s", pos->file);
	if (pos) {
		d->line = pos->line;
		d->col = pos->col;
	}
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
}

void hcf_diag_add(struct hcf_diags *ds, const struct hcf_srcpos *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hcf_diag_vadd(ds, pos, fmt, ap);
	va_end(ap);
}

void hcf_diag_addf(struct hcf_diags *ds, const char *file, unsigned line, unsigned col,
		   const char *fmt, ...)
{
	struct hcf_srcpos pos = { file, line, col };
	va_list ap;
	va_start(ap, fmt);
	hcf_diag_vadd(ds, &pos, fmt, ap);
	va_end(ap);
}

void hcf_diags_print(const struct hcf_diags *ds, FILE *f)
{
	for (unsigned i = 0; i < ds->n; i++) {
		const struct hcf_diag *d = &ds->d[i];
		const char *file = d->file[0] ? d->file : "<input>";
		if (d->line)
			fprintf(f, "%s:%u:%u: error: %s\n", file, d->line, d->col, d->msg);
		else
			fprintf(f, "%s: error: %s\n", file, d->msg);
	}
	if (ds->dropped)
		fprintf(f, "(%u more errors not shown)\n", ds->dropped);
}
