/* svg_plot.c: line charts as hand-written SVG: nice ticks, compact labels, robust to any data. */
#include "reports/svg_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/*
 * Every number that reaches the markup is a finite pixel coordinate printed
 * with one decimal, or a tick label made by the formatters below: a NaN or
 * an infinity in the data can never produce "nan" inside an attribute.
 * Values are clamped to +-1e300 before any arithmetic so that differences
 * (hi - lo, 2e300 at most) and the tick steps derived from them stay finite.
 */
#define VAL_MAX 1e300
#define VAL_TINY 1e-300   /* nearer zero than this is zero: keeps pow10() normal */

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

/* Layout, in pixels. The left margin holds y tick labels such as "-1.5e+300". */
enum {
	DEF_W = 720, DEF_H = 300, MIN_W = 240, MIN_H = 160,
	M_LEFT = 72, M_RIGHT = 18, M_TOP = 36, M_TOP_LEGEND = 54, M_BOTTOM = 46,
	X_TICK_PX = 100, Y_TICK_PX = 45,   /* about one tick per this many pixels */
	MAX_TICKS = 64,
};

/* ---- tick steps --------------------------------------------------------- */

/* The candidate nearest to raw on a log scale: the step that gives about
 * the number of ticks asked for, rounding either way. */
static double nearest_step(double raw, const double *cand, size_t n)
{
	double best = cand[0], dist = INFINITY;
	for (size_t i = 0; i < n; i++) {
		double d = fabs(log(cand[i] / raw));
		if (d < dist) {
			dist = d;
			best = cand[i];
		}
	}
	return best;
}

/* 1, 2 or 5 times a power of ten. */
static double nice_step_number(double raw)
{
	if (!(raw > VAL_TINY))
		return 1;
	double p = pow(10, floor(log10(raw)));
	const double cand[] = { p, 2 * p, 5 * p, 10 * p };
	return nearest_step(raw, cand, sizeof(cand) / sizeof(cand[0]));
}

/* Steps a reader counts in: whole seconds, minutes, hours, then days
 * (beyond a day: 1, 2, 5, 10 ... days). Below a second: decimal fractions. */
static double nice_step_duration(double raw)
{
	static const double steps[] = {
		1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
		3600, 7200, 10800, 21600, 43200, 86400,
	};
	if (raw < 1)
		return nice_step_number(raw);
	if (raw > 86400)
		return nice_step_number(raw / 86400) * 86400;
	return nearest_step(raw, steps, sizeof(steps) / sizeof(steps[0]));
}

/* ---- labels --------------------------------------------------------------- */

/* Decimals that show step exactly (to 1e-6 relative), at most 12. */
static int decimals_for(double step)
{
	if (!(step > 0))
		return 0;
	int d = (int)-floor(log10(step) + 1e-9);
	if (d < 0)
		d = 0;
	for (; d < 12; d++) {
		double s = step * pow(10, d);
		if (fabs(s - nearbyint(s)) <= 1e-6 * s)
			break;
	}
	return d;
}

const char *hcf_svg_fmt_number(double v, double step, double maxabs, char *buf, size_t len)
{
	static const struct {
		double scale;
		const char *suffix;
	} si[] = {
		{ 1e18, "E" }, { 1e15, "P" }, { 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" },
	};
	if (!buf || !len)
		return "";
	if (!isfinite(v)) {
		snprintf(buf, len, "?");
		return buf;
	}
	/* a tick computed as lo + i * step lands a rounding error away from 0 */
	if (fabs(v) < VAL_TINY || (step > 0 && fabs(v) < step * 1e-9)) {
		snprintf(buf, len, "0");
		return buf;
	}
	if (!(step > 0) || !isfinite(step))
		step = fabs(v);
	if (!isfinite(maxabs) || maxabs < fabs(v))
		maxabs = fabs(v);
	if (maxabs >= 1e21) {
		/* beyond the SI prefixes: as many significant digits as the step needs */
		int p = (int)floor(log10(fabs(v))) - (int)floor(log10(step));
		p = p < 0 ? 0 : p > 15 ? 15 : p;
		snprintf(buf, len, "%.*e", p, v);
		return buf;
	}
	double scale = 1;
	const char *suffix = "";
	if (maxabs >= 1e4) {
		/* the largest prefix that still leaves the step at least 0.01 of a unit */
		for (size_t i = 0; i < sizeof(si) / sizeof(si[0]); i++)
			if (maxabs >= si[i].scale && step >= si[i].scale / 100) {
				scale = si[i].scale;
				suffix = si[i].suffix;
				break;
			}
	}
	snprintf(buf, len, "%.*f%s", decimals_for(step / scale), v / scale, suffix);
	return buf;
}

const char *hcf_svg_fmt_duration(double s, double step, char *buf, size_t len)
{
	static const struct {
		double secs;
		const char *unit;
	} units[] = { { 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" } };
	if (!buf || !len)
		return "";
	if (!isfinite(s)) {
		snprintf(buf, len, "?");
		return buf;
	}
	const char *sign = s < 0 ? "-" : "";
	s = fabs(s);
	if (s < VAL_TINY || (step > 0 && s < step * 1e-9)) {
		snprintf(buf, len, "0");
		return buf;
	}
	if (step > 0 && step < 1) {
		snprintf(buf, len, "%s%.*fs", sign, decimals_for(step), s);
		return buf;
	}
	if (s >= 86400e6) {   /* millions of days: only the order of magnitude matters */
		snprintf(buf, len, "%s%.3gd", sign, s / 86400);
		return buf;
	}
	/* the two most significant units: 1h30m, 2d4h, 45s */
	unsigned long long rest = (unsigned long long)llround(s);
	size_t off = (size_t)snprintf(buf, len, "%s", sign);
	int shown = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
		unsigned long long u = (unsigned long long)units[i].secs;
		unsigned long long q = rest / u;
		if (!q && !shown)
			continue;
		if (q && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%llu%s", q, units[i].unit);
		rest -= q * u;
		shown++;   /* a zero unit after a shown one ends the label: "1h" not "1h0m" */
		if (!rest)
			break;
	}
	if (!shown)
		snprintf(buf, len, "%s%.0fs", sign, s);
	return buf;
}

/* ---- axes ------------------------------------------------------------------ */

struct axis {
	enum hcf_svg_axis_kind kind;
	double lo, hi, step;   /* lo and hi are multiples of step */
	size_t nticks;
	double maxabs;
};

static const struct axis_kind_ops {
	double (*nice_step)(double raw);
} axis_kinds[] = {
	[HCF_SVG_AXIS_NUMBER] = { nice_step_number },
	[HCF_SVG_AXIS_DURATION] = { nice_step_duration },
};

static const char *axis_label(const struct axis *a, double v, char *buf, size_t len)
{
	if (a->kind == HCF_SVG_AXIS_DURATION)
		return hcf_svg_fmt_duration(v, a->step, buf, len);
	return hcf_svg_fmt_number(v, a->step, a->maxabs, buf, len);
}

/* Loose labelling: the axis runs from a tick below the data to a tick above it. */
static void axis_fit(struct axis *a, enum hcf_svg_axis_kind kind, double lo, double hi,
		     bool from_zero, unsigned target)
{
	a->kind = (unsigned)kind < sizeof(axis_kinds) / sizeof(axis_kinds[0]) ? kind
									    : HCF_SVG_AXIS_NUMBER;
	if (from_zero) {
		lo = lo < 0 ? lo : 0;
		hi = hi > 0 ? hi : 0;
	}
	/* A range below a billionth of the values cannot be labelled (the ticks
	 * would be closer than the doubles): widen it around the values. */
	double mag = fmax(fabs(lo), fabs(hi));
	if (!(hi - lo > mag * 1e-9)) {
		if (mag > 0) {
			lo -= mag * 0.1;
			hi += mag * 0.1;
		} else {
			lo = 0;
			hi = 1;
		}
	}
	if (target < 2)
		target = 2;
	double step = axis_kinds[a->kind].nice_step((hi - lo) / target);
	a->lo = floor(lo / step) * step;
	a->hi = ceil(hi / step) * step;
	if (!(a->hi > a->lo))
		a->hi = a->lo + step;
	a->step = step;
	double n = nearbyint((a->hi - a->lo) / step) + 1;
	a->nticks = n > MAX_TICKS ? MAX_TICKS : (size_t)n;
	a->maxabs = fmax(fabs(a->lo), fabs(a->hi));
}

/* Pixel position of v on an axis drawn from p0 (at lo) to p1 (at hi). */
static double axis_px(const struct axis *a, double v, double p0, double p1)
{
	double t = (v - a->lo) / (a->hi - a->lo);
	if (!(t >= 0))
		t = 0;
	if (t > 1)
		t = 1;
	return p0 + t * (p1 - p0);
}

/* ---- points ------------------------------------------------------------------ */

static bool clean_value(double *v)
{
	if (!isfinite(*v))
		return false;
	if (*v > VAL_MAX)
		*v = VAL_MAX;
	else if (*v < -VAL_MAX)
		*v = -VAL_MAX;
	else if (fabs(*v) < VAL_TINY)
		*v = 0;
	return true;
}

/* The drawable points of s: finite, clamped. Returns how many (into out). */
static size_t filter_points(const struct hcf_svg_series *s, struct hcf_svg_point *out)
{
	size_t n = 0;
	for (size_t i = 0; s->pts && i < s->n; i++) {
		struct hcf_svg_point p = s->pts[i];
		if (clean_value(&p.x) && clean_value(&p.y))
			out[n++] = p;
	}
	return n;
}

/* Reduce pts[0..n) in place to at most max points: per bucket of
 * neighbours, its lowest and highest point in their original order. */
static size_t decimate(struct hcf_svg_point *pts, size_t n, size_t max)
{
	if (max < 2)
		max = 2;
	if (n <= max)
		return n;
	size_t nb = max / 2, q = n / nb, r = n % nb, out = 0;
	for (size_t b = 0; b < nb; b++) {
		size_t i0 = b * q + (b < r ? b : r);
		size_t i1 = i0 + q + (b < r ? 1 : 0);
		size_t imin = i0, imax = i0;
		for (size_t i = i0 + 1; i < i1; i++) {
			if (pts[i].y < pts[imin].y)
				imin = i;
			if (pts[i].y > pts[imax].y)
				imax = i;
		}
		size_t first = imin < imax ? imin : imax, second = imin < imax ? imax : imin;
		/* out <= i0 always (at most two out per bucket of at least two in),
		 * so writing in place never overwrites a point still to be read */
		pts[out++] = pts[first];
		if (second != first)
			pts[out++] = pts[second];
	}
	return out;
}

/* ---- markup -------------------------------------------------------------------- */

static void put_text(struct hcf_rbuf *b, const char *s)
{
	if (s)
		hcf_rbuf_put_xml(b, s, strlen(s), false);
}

static void put_attr(struct hcf_rbuf *b, const char *s)
{
	if (s)
		hcf_rbuf_put_xml(b, s, strlen(s), true);
}

struct frame {
	double x0, x1, y0, y1;   /* plot area: x0 left, x1 right, y0 top, y1 bottom */
	struct axis ax, ay;
};

static void draw_grid_and_ticks(struct hcf_rbuf *b, const struct frame *f)
{
	char lab[64];
	hcf_rbuf_puts(b, "<g stroke=\"#e3e3e3\" stroke-width=\"1\">");
	for (size_t i = 0; i < f->ay.nticks; i++) {
		double y = axis_px(&f->ay, f->ay.lo + (double)i * f->ay.step, f->y1, f->y0);
		hcf_rbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", f->x0, y,
				f->x1, y);
	}
	for (size_t i = 0; i < f->ax.nticks; i++) {
		double x = axis_px(&f->ax, f->ax.lo + (double)i * f->ax.step, f->x0, f->x1);
		hcf_rbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, f->y0,
				x, f->y1);
	}
	hcf_rbuf_puts(b, "</g>\n<g stroke=\"#333333\" stroke-width=\"1\">");
	hcf_rbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", f->x0, f->y1,
			f->x1, f->y1);
	hcf_rbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", f->x0, f->y0,
			f->x0, f->y1);
	for (size_t i = 0; i < f->ay.nticks; i++) {
		double y = axis_px(&f->ay, f->ay.lo + (double)i * f->ay.step, f->y1, f->y0);
		hcf_rbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
				f->x0 - 4, y, f->x0, y);
	}
	for (size_t i = 0; i < f->ax.nticks; i++) {
		double x = axis_px(&f->ax, f->ax.lo + (double)i * f->ax.step, f->x0, f->x1);
		hcf_rbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x,
				f->y1, x, f->y1 + 4);
	}
	hcf_rbuf_puts(b, "</g>\n<g fill=\"#333333\">");
	for (size_t i = 0; i < f->ay.nticks; i++) {
		double v = f->ay.lo + (double)i * f->ay.step;
		double y = axis_px(&f->ay, v, f->y1, f->y0);
		hcf_rbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", f->x0 - 7,
				y + 4);
		put_text(b, axis_label(&f->ay, v, lab, sizeof(lab)));
		hcf_rbuf_puts(b, "</text>");
	}
	for (size_t i = 0; i < f->ax.nticks; i++) {
		double v = f->ax.lo + (double)i * f->ax.step;
		double x = axis_px(&f->ax, v, f->x0, f->x1);
		hcf_rbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x,
				f->y1 + 17);
		put_text(b, axis_label(&f->ax, v, lab, sizeof(lab)));
		hcf_rbuf_puts(b, "</text>");
	}
	hcf_rbuf_puts(b, "</g>\n");
}

static void draw_markers(struct hcf_rbuf *b, const struct hcf_svg_chart *c, const struct frame *f,
			 double xmin, double xmax)
{
	for (size_t i = 0; c->markers && i < c->nmarkers; i++) {
		double v = c->markers[i].x;
		if (!isfinite(v) || v < xmin || v > xmax)
			continue;
		double x = axis_px(&f->ax, v, f->x0, f->x1);
		hcf_rbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				   "stroke=\"#888888\" stroke-dasharray=\"4 3\"/>",
				x, f->y0, x, f->y1);
		if (c->markers[i].label && c->markers[i].label[0]) {
			hcf_rbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#666666\">", x + 3,
					f->y0 + 11);
			put_text(b, c->markers[i].label);
			hcf_rbuf_puts(b, "</text>");
		}
		hcf_rbuf_puts(b, "\n");
	}
}

static const char *series_color(const struct hcf_svg_chart *c, size_t i)
{
	const char *col = c->series[i].color;
	return col && col[0] ? col : palette[i % NPALETTE];
}

static void draw_series(struct hcf_rbuf *b, const struct hcf_svg_chart *c, size_t i,
			const struct frame *f, const struct hcf_svg_point *pts, size_t n)
{
	if (!n)
		return;
	if (n == 1) {
		hcf_rbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"",
				axis_px(&f->ax, pts[0].x, f->x0, f->x1),
				axis_px(&f->ay, pts[0].y, f->y1, f->y0));
		put_attr(b, series_color(c, i));
		hcf_rbuf_puts(b, "\"/>\n");
		return;
	}
	hcf_rbuf_puts(b, "<polyline fill=\"none\" stroke=\"");
	put_attr(b, series_color(c, i));
	hcf_rbuf_puts(b, "\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"");
	for (size_t k = 0; k < n; k++)
		hcf_rbuf_printf(b, "%s%.1f,%.1f", k ? " " : "",
				axis_px(&f->ax, pts[k].x, f->x0, f->x1),
				axis_px(&f->ay, pts[k].y, f->y1, f->y0));
	hcf_rbuf_puts(b, "\"/>\n");
}

/* One row in the top margin: a short line in the series' colour, its name. */
static void draw_legend(struct hcf_rbuf *b, const struct hcf_svg_chart *c, const struct frame *f)
{
	double x = f->x0, y = f->y0 - 12;
	for (size_t i = 0; i < c->nseries; i++) {
		const char *name = c->series[i].name ? c->series[i].name : "";
		hcf_rbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				   "stroke-width=\"2.5\" stroke=\"",
				x, y - 4, x + 18, y - 4);
		put_attr(b, series_color(c, i));
		hcf_rbuf_printf(b, "\"/><text x=\"%.1f\" y=\"%.1f\">", x + 22, y);
		put_text(b, name);
		hcf_rbuf_puts(b, "</text>");
		/* about 6.5 px per character at 11 px; the legend is a hint, not a layout engine */
		x += 40 + 6.5 * (double)strnlen(name, 60);
	}
	hcf_rbuf_puts(b, "\n");
}

size_t hcf_svg_line_chart(struct hcf_rbuf *b, const struct hcf_svg_chart *c)
{
	static const struct hcf_svg_chart none = { 0 };
	if (!c)
		c = &none;
	unsigned w = c->width ? c->width : DEF_W, h = c->height ? c->height : DEF_H;
	w = w < MIN_W ? MIN_W : w;
	h = h < MIN_H ? MIN_H : h;
	size_t nseries = c->series ? c->nseries : 0;
	bool legend = nseries >= 2;

	/* clean every series first: the axes span the drawable points only */
	struct hcf_svg_point **pts = hcf_xcalloc(nseries ? nseries : 1, sizeof(*pts));
	size_t *npts = hcf_xcalloc(nseries ? nseries : 1, sizeof(*npts));
	double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
	size_t total = 0;
	for (size_t i = 0; i < nseries; i++) {
		const struct hcf_svg_series *s = &c->series[i];
		pts[i] = hcf_xcalloc(s->n ? s->n : 1, sizeof(**pts));
		npts[i] = filter_points(s, pts[i]);
		for (size_t k = 0; k < npts[i]; k++) {
			xmin = fmin(xmin, pts[i][k].x);
			xmax = fmax(xmax, pts[i][k].x);
			ymin = fmin(ymin, pts[i][k].y);
			ymax = fmax(ymax, pts[i][k].y);
		}
		npts[i] = decimate(pts[i], npts[i], c->max_points ? c->max_points
								  : HCF_SVG_MAX_POINTS);
		total += npts[i];
	}
	if (!total)
		xmin = xmax = ymin = ymax = 0;

	struct frame f = { .x0 = M_LEFT, .x1 = w - M_RIGHT, .y0 = legend ? M_TOP_LEGEND : M_TOP,
			   .y1 = h - M_BOTTOM };
	axis_fit(&f.ax, c->x_kind, xmin, xmax, c->x_from_zero, (unsigned)((f.x1 - f.x0) / X_TICK_PX));
	axis_fit(&f.ay, c->y_kind, ymin, ymax, c->y_from_zero, (unsigned)((f.y1 - f.y0) / Y_TICK_PX));

	if (c->standalone)
		hcf_rbuf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	hcf_rbuf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
			   "viewBox=\"0 0 %u %u\" font-family=\"sans-serif\" font-size=\"11\" "
			   "role=\"img\">\n<title>",
			w, h, w, h);
	put_text(b, c->title);
	hcf_rbuf_puts(b, "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
	if (c->title && c->title[0]) {
		hcf_rbuf_printf(b, "<text x=\"%.1f\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" "
				   "font-weight=\"bold\">",
				w / 2.0);
		put_text(b, c->title);
		hcf_rbuf_puts(b, "</text>\n");
	}
	draw_grid_and_ticks(b, &f);
	if (total)
		draw_markers(b, c, &f, xmin, xmax);
	for (size_t i = 0; i < nseries; i++)
		draw_series(b, c, i, &f, pts[i], npts[i]);
	if (legend)
		draw_legend(b, c, &f);
	if (c->x_label && c->x_label[0]) {
		hcf_rbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
				   "fill=\"#333333\">",
				(f.x0 + f.x1) / 2, (double)h - 8);
		put_text(b, c->x_label);
		hcf_rbuf_puts(b, "</text>\n");
	}
	if (c->y_label && c->y_label[0]) {
		hcf_rbuf_printf(b, "<text transform=\"rotate(-90)\" x=\"%.1f\" y=\"14\" "
				   "text-anchor=\"middle\" fill=\"#333333\">",
				-(f.y0 + f.y1) / 2);
		put_text(b, c->y_label);
		hcf_rbuf_puts(b, "</text>\n");
	}
	if (!total) {
		hcf_rbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
				   "fill=\"#888888\">",
				(f.x0 + f.x1) / 2, (f.y0 + f.y1) / 2);
		put_text(b, c->empty_text ? c->empty_text : "no data");
		hcf_rbuf_puts(b, "</text>\n");
	}
	hcf_rbuf_puts(b, "</svg>\n");

	for (size_t i = 0; i < nseries; i++)
		free(pts[i]);
	free(pts);
	free(npts);
	return total;
}
