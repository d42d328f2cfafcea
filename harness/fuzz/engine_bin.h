/*
 * engine_bin.h: the fuzz target binary an engine runs, brought up to date by
 * the CMake build directory hcfuzz runs from.
 *
 * The quick build (ci/setup.sh --conform, as ci/quickstart.sh runs it) makes
 * hcfuzz alone; the fuzz targets are built when a campaign first asks for
 * them, and relinked whenever hcfuzz's libraries changed since, so the
 * engines always run the code hcfuzz itself was built from. An hcfuzz that
 * does not run from a build directory (or HCF_FUZZ_BIN_DIR naming the
 * binaries' directory) uses the binaries as they are.
 */
#ifndef HCF_ENGINE_BIN_H
#define HCF_ENGINE_BIN_H

#include <stdbool.h>
#include <stddef.h>

/* The value of key in the text of a CMakeCache.txt ("KEY:TYPE=VALUE" lines)
 * copied into out; false when the key is absent or the value does not fit. */
bool hcf_cmake_cache_get(const char *cache, const char *key, char *out, size_t outlen);

struct hcf_engine_bin_opts {
	const char *bindir; /* the binary's directory */
	const char *name;   /* hcfuzz-fuzz-libfuzzer, hcfuzz-fuzz-afl */
	const char *needs;  /* the packages building it takes, for messages */
	bool build;         /* bindir may be a build directory: ask it for name */
	const char *log;    /* the build's output is appended here */
};

/* The engine binary's path (the caller frees it), built or relinked first
 * when bindir is a CMake build directory of hcfuzz and o->build is set (a
 * first build says so on stderr: it takes a while); or NULL with err saying
 * what is missing and the command that would make it. */
char *hcf_engine_binary(const struct hcf_engine_bin_opts *o, char *err, size_t errlen);

#endif /* HCF_ENGINE_BIN_H */
