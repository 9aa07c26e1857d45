/*-------------------------------------------------------------------------
 *
 * swift_demangle_stub.c
 *	  Lets AddressSanitizer start inside an uninstrumented postgres.
 *
 * The postgres executable is not built with AddressSanitizer, so its runtime
 * is preloaded (LD_PRELOAD) and initializes lazily, at the first malloc.
 * On Debian 12 that first malloc happens in a library constructor
 * (libgpg-error's) inside bindtextdomain(), which holds glibc's gettext
 * lock; the runtime's start-up then looks up the optional symbol
 * swift_demangle, fails, and calls dlerror(), whose message translation
 * takes the same lock: the process hangs before main().  Defining the
 * symbol makes the lookup succeed, so dlerror() has nothing to translate.
 *
 * It returns NULL, "not a Swift name", so C and C++ names in reports are
 * demangled as usual.  Only the sanitizer run (test/sanitize/run.sh)
 * preloads this, after the sanitizer runtime.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * test/sanitize/swift_demangle_stub.c
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>

char	   *swift_demangle(const char *mangled, size_t mangled_len,
						   char *out, size_t *out_len, uint32_t flags);

char *
swift_demangle(const char *mangled, size_t mangled_len,
			   char *out, size_t *out_len, uint32_t flags)
{
	return NULL;
}
