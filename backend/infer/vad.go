package infer

import (
	"context"
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// VAD finds speech with the Silero VAD model (v5): 16 kHz audio in windows
// of 512 samples, each preceded by the previous window's last 64 samples,
// with a recurrent state carried from window to window.
type VAD struct {
	sess *Session
}

// VAD window geometry at 16 kHz.
const (
	VADRate    = 16000
	VADWindow  = 512
	vadContext = 64
)

// VAD loads the Silero model.
func (r *Runtime) VAD(path string) (*VAD, error) {
	sess, err := r.Session(path, []string{"input", "state", "sr"}, []string{"output", "stateN"})
	if err != nil {
		return nil, fmt.Errorf("vad: %w", err)
	}
	return &VAD{sess: sess}, nil
}

// Probabilities returns the speech probability of each 512-sample window
// (32 ms) of 16 kHz mono samples in [-1, 1]. A last partial window is
// padded with silence.
func (v *VAD) Probabilities(ctx context.Context, samples []float32) ([]float32, error) {
	state, err := ort.NewTensor(ort.NewShape(2, 1, 128), make([]float32, 2*128))
	if err != nil {
		return nil, fmt.Errorf("vad: %w", err)
	}
	defer func() { state.Destroy() }()
	sr, err := ort.NewTensor(ort.NewShape(1), []int64{VADRate})
	if err != nil {
		return nil, fmt.Errorf("vad: %w", err)
	}
	defer sr.Destroy()
	buf := make([]float32, vadContext+VADWindow)
	input, err := ort.NewTensor(ort.NewShape(1, int64(len(buf))), buf)
	if err != nil {
		return nil, fmt.Errorf("vad: %w", err)
	}
	defer input.Destroy()
	var out []float32
	for start := 0; start < len(samples); start += VADWindow {
		if start%(VADWindow*256) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		data := input.GetData()
		copy(data, data[VADWindow:]) // the previous window's tail is the context
		n := copy(data[vadContext:], samples[start:min(len(samples), start+VADWindow)])
		clear(data[vadContext+n:])
		outs, err := v.sess.Run([]ort.Value{input, state, sr})
		if err != nil {
			return nil, fmt.Errorf("vad: %w", err)
		}
		out = append(out, outs[0].(*ort.Tensor[float32]).GetData()[0])
		outs[0].Destroy()
		state.Destroy()
		next, ok := outs[1].(*ort.Tensor[float32])
		if !ok {
			outs[1].Destroy()
			return nil, fmt.Errorf("vad: unexpected state type")
		}
		state = next
	}
	return out, nil
}
