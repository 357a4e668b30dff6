//go:build whisper

package audio

/*
#include <stdio.h>
#include <whisper.h>

// whisper.cpp and ggml print every step of a model load; only warnings and
// errors reach stderr.
static void hoard_whisper_log(enum ggml_log_level level, const char *text, void *user) {
	(void)user;
	if (level == GGML_LOG_LEVEL_WARN || level == GGML_LOG_LEVEL_ERROR) {
		fputs(text, stderr);
	}
}

static void hoard_whisper_quiet(void) { whisper_log_set(hoard_whisper_log, NULL); }
*/
import "C"

func init() { C.hoard_whisper_quiet() }
