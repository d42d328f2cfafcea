/*
 * svg_plot.h: line charts written as SVG text, for reports that must stand alone.
 *
 * A chart is one or more series of (x, y) points drawn as polylines on a
 * frame with a title, axis labels, grid lines and tick labels at "nice"
 * values (1, 2 or 5 times a power of ten; whole seconds, minutes, hours and
 * days on a duration axis). The output is well-formed XML whatever the data:
 * no points (the frame with a "no data" note), one point (a dot), all y equal
 * (the range is widened around the value), values up to the largest doubles
 * (beyond +-1e300 they are drawn at the edge), NaN and infinities (skipped).
 * Every text (title, labels, series names) is escaped, so hostile strings
 * cannot break the markup. No plotting library: the charts must render in a
 * browser, a Markdown viewer and a file manager without anything installed.
 */
#ifndef HCF_SVG_PLOT_H
#define HCF_SVG_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "reports/report_util.h"

/* Points kept per series by default: more cannot be told apart on a chart
 * a few hundred pixels wide, and would only make the file large. */
#define HCF_SVG_MAX_POINTS 2000

/* How an axis labels its ticks. */
enum hcf_svg_axis_kind {
	HCF_SVG_AXIS_NUMBER = 0,  /* 0 2500 5000, 20k 40k, 1.5M ... 1e+21 and up as exponents */
	HCF_SVG_AXIS_DURATION,    /* seconds, labelled 30s 5m 1h30m 2d, ticks on whole units */
};

struct hcf_svg_point {
	double x, y;
};

struct hcf_svg_series {
	const char *name;    /* legend text (a legend is drawn for two series or more) */
	const char *color;   /* any SVG paint ("#1f77b4"); NULL: the palette's next colour */
	const struct hcf_svg_point *pts;
	size_t n;
};

/* A vertical dashed line across the plot, e.g. where a resumed run starts.
 * Drawn only when it falls inside the data's x range. */
struct hcf_svg_marker {
	double x;
	const char *label;
};

struct hcf_svg_chart {
	const char *title;
	const char *x_label, *y_label;
	enum hcf_svg_axis_kind x_kind, y_kind;
	unsigned width, height;      /* pixels; 0: 720 x 300 (at least 240 x 160 is used) */
	bool x_from_zero, y_from_zero;   /* the axis range includes 0 */
	const struct hcf_svg_series *series;
	size_t nseries;
	const struct hcf_svg_marker *markers;
	size_t nmarkers;
	/* Points drawn per series; 0: HCF_SVG_MAX_POINTS. A longer series is cut
	 * into buckets keeping each bucket's lowest and highest point, so spikes
	 * and dips stay visible. */
	size_t max_points;
	const char *empty_text;      /* shown when no point can be drawn; NULL: "no data" */
	bool standalone;             /* a file of its own: starts with the XML declaration */
};

/*
 * Append the chart as one <svg> element (with its namespace, so it is valid
 * inline in XHTML and HTML pages as well as in a file). Series with at least
 * two points become <polyline> elements, one-point series a <circle>.
 * Returns the number of points drawn over all series.
 */
size_t hcf_svg_line_chart(struct hcf_rbuf *out, const struct hcf_svg_chart *c);

/* Tick labels as the chart prints them; exposed for the reports' facts and for tests.
 * step is the distance between neighbouring ticks (it decides the precision). */
const char *hcf_svg_fmt_number(double v, double step, double maxabs, char *buf, size_t len);
const char *hcf_svg_fmt_duration(double seconds, double step, char *buf, size_t len);

#endif /* HCF_SVG_PLOT_H */
