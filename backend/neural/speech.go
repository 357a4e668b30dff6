package neural

import (
	"fmt"
	"log/slog"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/models"
)

// Speech names a speech-to-text engine: a server's URL (it wins), or a
// whisper.cpp model installed in the models folder.
type Speech struct {
	URL, APIKey, Model string
	Whisper            string
	Language           string
	Threads            int
}

// Transcriber builds the pipeline for sp: the engine, and the voice
// activity detector when its model is installed (on an ONNX Runtime of its
// own, vad, which the caller closes). err says why the engine cannot run.
func Transcriber(sp Speech, m *models.Manager, ortLib string, log *slog.Logger) (tr *audio.Transcriber, vad *infer.Runtime, err error) {
	var engine audio.Engine
	switch {
	case sp.URL != "":
		engine = &audio.OpenAI{URL: sp.URL, APIKey: sp.APIKey, Model: sp.Model}
	default:
		inst, ierr := m.Get(sp.Whisper)
		if ierr != nil {
			err = fmt.Errorf("the whisper model is not installed (hoard models pull %s): %w", sp.Whisper, ierr)
		} else if w, werr := audio.NewWhisper(inst.Path("model.bin"), sp.Threads); werr != nil {
			err = werr
		} else {
			engine = w
		}
		if err != nil {
			log.Warn("transcription engine unavailable", "err", err)
			return nil, nil, err
		}
	}
	tr = &audio.Transcriber{Engine: engine, Language: sp.Language, Window: infer.VADWindow}
	inst, ok := m.FirstInstalled(models.RoleVAD)
	if !ok {
		log.Info("no voice activity model installed (hoard models pull silero-vad): recordings are transcribed whole")
		return tr, nil, nil
	}
	rt, err := infer.Open(infer.Config{LibPath: ortLib, Threads: 1, Logger: log})
	if err != nil {
		log.Warn("voice activity detection is off: recordings are transcribed whole", "err", err)
		return tr, nil, nil
	}
	v, err := rt.VAD(inst.Path(inst.Spec.Files[0].InstalledName()))
	if err != nil {
		rt.Close()
		log.Warn("voice activity detection is off", "err", err)
		return tr, nil, nil
	}
	tr.VAD = v
	return tr, rt, nil
}
