package ui

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"keyward/model"
)

// providerID names Keyward in an OpenClaw configuration.
const providerID = "keyward"

// setupTexts is ready-to-paste configuration for one token.
type setupTexts struct {
	openClaw string // the block for ~/.openclaw/openclaw.json
	env      string // OPENAI_BASE_URL and OPENAI_API_KEY lines
	curl     string // a request to try
	note     string // what the models list holds
}

// buildSetup writes the configuration for t with key (the full key when
// copying, the masked one for the screen).
func buildSetup(t model.Token, key, baseURL string, catalog []model.CatalogModel) setupTexts {
	names, note := setupModels(t, catalog)
	sample := "MODEL"
	if len(names) > 0 {
		sample = names[0]
	}
	return setupTexts{
		openClaw: openClawBlock(baseURL, key, names),
		env: "export OPENAI_BASE_URL=" + shellQuote(baseURL) + "\n" +
			"export OPENAI_API_KEY=" + shellQuote(key),
		curl: curlExample(baseURL, sample),
		note: note,
	}
}

// openClawBlock writes the provider block for ~/.openclaw/openclaw.json,
// one model per line so that long lists stay readable.
func openClawBlock(baseURL, key string, names []string) string {
	var b strings.Builder
	b.WriteString("{\n  \"models\": {\n    \"mode\": \"merge\",\n")
	b.WriteString("    \"providers\": {\n      " + jsonString(providerID) + ": {\n")
	b.WriteString("        \"baseUrl\": " + jsonString(baseURL) + ",\n")
	b.WriteString("        \"apiKey\": " + jsonString(key) + ",\n")
	b.WriteString("        \"api\": \"openai-completions\",\n")
	b.WriteString("        \"models\": [")
	for i, n := range names {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n          { \"id\": " + jsonString(n) + ", \"name\": " +
			jsonString(n) + " }")
	}
	if len(names) > 0 {
		b.WriteString("\n        ")
	}
	b.WriteString("]\n      }\n    }\n  }\n}")
	return b.String()
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimRight(buf.String(), "\n")
}

// setupModels is the models list for the client: the allowlist, else the
// catalog.
func setupModels(t model.Token, catalog []model.CatalogModel) ([]string, string) {
	if len(t.Models) > 0 {
		return t.Models, "The list holds the models this token allows."
	}
	names := make([]string, 0, len(catalog))
	for _, c := range catalog {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return names, "This token allows every model; add the ones you use to the list."
	}
	return names, "This token allows every model; the list holds the catalog's models."
}

// chatRequest is the body of the curl example.
type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

func curlExample(baseURL, model string) string {
	body, _ := json.Marshal(chatRequest{Model: model, // strings always encode
		Messages: []chatMessage{{Role: "user", Content: "Say hello"}}})
	url := strings.TrimRight(baseURL, "/") + "/chat/completions"
	return "curl " + shellQuote(url) + " \\\n" +
		"  -H \"Authorization: Bearer $OPENAI_API_KEY\" \\\n" +
		"  -H 'Content-Type: application/json' \\\n" +
		"  -d " + shellQuote(string(body))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			r >= '0' && r <= '9' || strings.ContainsRune("_./:@%+=,-", r))) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// copySetup copies one block of the set-up panel, with the full key.
func (m *Model) copySetup(km tea.KeyMsg) tea.Cmd {
	s := buildSetup(m.target, m.target.Key, m.cfg.BaseURL, m.catalog)
	k := m.keys.panel
	switch {
	case key.Matches(km, k.CopyJSON):
		return m.copyText(s.openClaw, "the OpenClaw block for", m.target.Name)
	case key.Matches(km, k.CopyEnv):
		return m.copyText(s.env, "the environment lines for", m.target.Name)
	}
	return m.copyText(s.curl, "the curl example for", m.target.Name)
}

func (m *Model) setupLines() []string {
	t := m.target
	s := buildSetup(t, m.panelKey(), m.cfg.BaseURL, m.catalog)
	w := m.width
	lines := []string{m.st.Title.Render(truncate("Set up a client for '"+
		printable(t.Name)+"'", w))}
	lines = append(lines, wrap("Base URL "+printable(m.cfg.BaseURL)+" (--base-url or "+
		"KEYWARD_BASE_URL). Copies hold the full key.", w)...)
	section := func(n, title, body string) {
		lines = append(lines, "", m.st.Label.Render(truncate(n+"  "+title, w)))
		lines = append(lines, wrap(body, w)...)
	}
	section("1", "OpenClaw: merge into ~/.openclaw/openclaw.json", s.openClaw)
	lines = append(lines, wrap(s.note, w)...)
	section("2", "Environment (OpenAI SDKs and most tools)", s.env)
	section("3", "Try it", s.curl)
	if m.panel.revealed {
		lines = append(lines, "", "Press r to mask the key again.")
	}
	return lines
}
