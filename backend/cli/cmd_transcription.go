package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoardvault/hoard/backend/vault"
)

func newTranscriptionCommand(a *app) *cobra.Command {
	var opts transcriptionOptions
	cmd := &cobra.Command{
		Use:   "transcription",
		Short: "Show or set the speech-to-text engine for audio and video files",
		Long: "Audio and video files wait in the queue until an engine is set up, then are transcribed:\n" +
			"  --url URL          any OpenAI-compatible /v1/audio/transcriptions server (whisper.cpp's server,\n" +
			"                     faster-whisper-server, LocalAI)\n" +
			"  --whisper MODEL    whisper.cpp in process (whisper-tiny.en, whisper-base, whisper-small; built in,\n" +
			"                     the model from `make models` or `hoard models pull MODEL`). With no engine set,\n" +
			"                     the first installed model is used (whisper-base first); --off turns that off too.\n" +
			"Speech is found with the Silero VAD model when it is installed (hoard models pull silero-vad).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.Flags().Visit(func(f *pflag.Flag) { opts.Given = append(opts.Given, f.Name) })
			return runTranscription(cmd.Context(), opts, a)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// transcriptionOptions are hoard transcription's flags.
type transcriptionOptions struct {
	vault.TranscriptionOptions
	Off bool // forget the engine
	// Given names the flags given, global ones too: each changes what it
	// names and the rest stays; any at all sets the engine again and
	// transcribes what waits.
	Given []string
}

func (o *transcriptionOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.URL, "url", "", "transcription server URL")
	f.StringVar(&o.APIKey, "api-key", "", "the server's API key, if it wants one")
	f.StringVar(&o.Model, "model", "", "the server's model name (default whisper-1)")
	f.StringVar(&o.Whisper, "whisper", "", "whisper.cpp model to run in process")
	f.StringVar(&o.Language, "language", "", "spoken language code, e.g. en (default: detected)")
	f.IntVar(&o.Threads, "threads", 0, "whisper.cpp threads (default: its own)")
	f.BoolVar(&o.Off, "off", false, "forget the engine (audio files wait again)")
}

func runTranscription(ctx context.Context, opts transcriptionOptions, a *app) error {
	return a.inVault(ctx, func(v *vault.Vault) error {
		changed := opts.Off || len(opts.Given) > 0
		if changed {
			// Flags change what they name; the rest stays.
			next, err := v.Transcription(ctx)
			if err != nil {
				return err
			}
			for name, set := range map[string]func(){
				"url": func() { next.URL = opts.URL }, "api-key": func() { next.APIKey = opts.APIKey },
				"model": func() { next.Model = opts.Model }, "whisper": func() { next.Whisper = opts.Whisper },
				"language": func() { next.Language = opts.Language }, "threads": func() { next.Threads = opts.Threads },
			} {
				if slices.Contains(opts.Given, name) {
					set()
				}
			}
			next.Off = false
			if opts.Off {
				next = vault.TranscriptionOptions{Off: true}
			}
			if err := v.SetTranscription(ctx, next); err != nil {
				return err
			}
		}
		cur, err := v.Transcription(ctx)
		if err != nil {
			return err
		}
		switch {
		case cur.URL != "":
			fmt.Fprintf(a.stdout, "engine: transcription server %s (model %s)\n", cur.URL, orDefault(cur.Model, "whisper-1"))
		case cur.Whisper != "":
			fmt.Fprintf(a.stdout, "engine: whisper.cpp with %s\n", cur.Whisper)
		default:
			fmt.Fprintln(a.stdout, "engine: none (audio files wait in the queue)")
		}
		fmt.Fprintf(a.stdout, "language: %s\n", orDefault(cur.Language, "detected"))
		if !changed || (cur.URL == "" && cur.Whisper == "") {
			return nil
		}
		// Audio that was waiting is transcribed now.
		sum, err := v.Drain(ctx, vault.AddOptions{})
		if err != nil {
			return err
		}
		if n := sum.Indexed + len(sum.Failed) + len(sum.Retrying) + len(sum.Waiting); n > 0 {
			fmt.Fprintf(a.stdout, "queued files: %d transcribed, %d failed, %d to retry, %d still waiting\n",
				sum.Indexed, len(sum.Failed), len(sum.Retrying), len(sum.Waiting))
			for _, f := range append(sum.Failed, sum.Retrying...) {
				fmt.Fprintf(a.stdout, "  %s: %s\n", f.Path, f.Reason)
			}
		}
		return nil
	})
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
