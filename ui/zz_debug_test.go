package ui

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestZZDebug(t *testing.T) {
	cfg := testConfig(openStore(t), &bytes.Buffer{})
	cfg.Renderer = lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.TrueColor))
	hc := harnessWith(t, cfg, &bytes.Buffer{}, 80, 24)
	hc.press("n")
	hc.typeText("ab")
	fmt.Printf("%q\n", hc.view()[:400])
	st := openStore(t)
	_ = st.AddModels("x", "zz-cached", "zz-plain", "zz-none")
	h := newHarness(t, st, 80, 40)
	h.press("m", "G")
	fmt.Println(stable(h.view()))
}
