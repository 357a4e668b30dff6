package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoardvault/hoard/backend/vault"
)

func (a *app) watchCmd() *cobra.Command {
	var collection string
	var list, remove bool
	var poll, settle time.Duration
	cmd := &cobra.Command{
		Use:   "watch [DIR...]",
		Short: "Keep folders and the vault in step: index what is added or changed, forget what is deleted",
		Long: "Adds the folders to the vault's watched folders (kept in the vault: `hoard serve` and the desktop\n" +
			"app resume them) and follows them in the foreground until Ctrl-C. With no folder it follows the\n" +
			"watched ones. Changes made while Hoard was closed are caught up first. Files named by a\n" +
			".hoardignore (gitignore syntax), hidden files and editor temporary files are left alone.",
	}
	cmd.Flags().StringVar(&collection, "collection", vault.DefaultCollection, "collection for documents from the new folders")
	cmd.Flags().BoolVar(&list, "list", false, "list the watched folders and exit")
	cmd.Flags().BoolVar(&remove, "rm", false, "stop watching the folders given (what was indexed stays)")
	cmd.Flags().DurationVar(&settle, "settle", 0, "how long a file must be quiet before it is indexed (default 300ms)")
	cmd.Flags().DurationVar(&poll, "poll", 0, "how often folders past the system's watch limit are scanned (default 30s)")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, args []string) error {
		switch {
		case remove:
			if len(args) == 0 {
				return errors.New("name the folders to stop watching")
			}
			for _, d := range args {
				if err := v.RemoveWatched(ctx, d); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "no longer watching %s\n", d)
			}
			return nil
		case list:
			ws, err := v.Watched(ctx)
			if err != nil {
				return err
			}
			for _, w := range ws {
				fmt.Fprintf(a.stdout, "%s\t%s\n", w.Path, w.Collection)
			}
			return nil
		}
		for _, d := range args {
			if _, err := v.AddWatched(ctx, d, collection); err != nil {
				return err
			}
		}
		return v.Watch(ctx, a.watchOptions(settle, poll))
	})
	return cmd
}

// watchOptions prints a watch's live status: one line per file and the
// queue after each pass.
func (a *app) watchOptions(settle, poll time.Duration) vault.WatchOptions {
	return vault.WatchOptions{
		Settle: settle, Poll: poll,
		Progress: func(p vault.Progress) {
			ts := time.Now().Format("15:04:05")
			switch p.Outcome {
			case vault.OutIndexed, vault.OutLinked, vault.OutRemoved:
				fmt.Fprintf(a.stdout, "%s %-8s %s\n", ts, p.Outcome, p.Path)
			case vault.OutFailed, vault.OutRetry, vault.OutWaiting:
				fmt.Fprintf(a.stdout, "%s %-8s %s: %s\n", ts, p.Outcome, p.Path, p.Reason)
			}
		},
		Ready: func(s vault.WatchState) {
			msg := fmt.Sprintf("watching %s (%d folders followed", plural(s.Folders, "folder"), s.Watched)
			if s.Polled > 0 {
				msg += fmt.Sprintf(", %d scanned periodically", s.Polled)
			}
			fmt.Fprintf(a.stdout, "%s); %s. Ctrl-C stops.\n", msg, queueLine(s.Queue))
		},
		Drained: func(sum vault.Summary, s vault.WatchState) {
			if s.Queue.Total() > 0 {
				fmt.Fprintf(a.stdout, "%s %s\n", time.Now().Format("15:04:05"), queueLine(s.Queue))
			}
		},
		Warn: func(msg string) { fmt.Fprintf(a.stderr, "warning: %s\n", msg) },
	}
}

func queueLine(q vault.QueueStats) string {
	if q.Total() == 0 {
		return "queue empty"
	}
	return fmt.Sprintf("queue: %d pending (%d to retry), %d waiting for a transcription engine", q.Pending, q.Retrying, q.Waiting)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (a *app) transcriptionCmd() *cobra.Command {
	var t vault.TranscriptionOptions
	var off bool
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
	}
	f := cmd.Flags()
	f.StringVar(&t.URL, "url", "", "transcription server URL")
	f.StringVar(&t.APIKey, "api-key", "", "the server's API key, if it wants one")
	f.StringVar(&t.Model, "model", "", "the server's model name (default whisper-1)")
	f.StringVar(&t.Whisper, "whisper", "", "whisper.cpp model to run in process")
	f.StringVar(&t.Language, "language", "", "spoken language code, e.g. en (default: detected)")
	f.IntVar(&t.Threads, "threads", 0, "whisper.cpp threads (default: its own)")
	f.BoolVar(&off, "off", false, "forget the engine (audio files wait again)")
	cmd.RunE = a.withVault(func(ctx context.Context, v *vault.Vault, _ []string) error {
		changed := off || cmd.Flags().NFlag() > 0
		if changed {
			// Flags change what they name; the rest stays.
			next, err := v.Transcription(ctx)
			if err != nil {
				return err
			}
			fl := cmd.Flags()
			for name, set := range map[string]func(){
				"url": func() { next.URL = t.URL }, "api-key": func() { next.APIKey = t.APIKey },
				"model": func() { next.Model = t.Model }, "whisper": func() { next.Whisper = t.Whisper },
				"language": func() { next.Language = t.Language }, "threads": func() { next.Threads = t.Threads },
			} {
				if fl.Changed(name) {
					set()
				}
			}
			next.Off = false
			if off {
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
	return cmd
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
