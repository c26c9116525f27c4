package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"keyward/model"
)

// parseCase is a request body and what parseRequest must make of it.
type parseCase struct {
	name        string
	rt          route
	body        string
	model       string
	stream      bool
	clientUsage bool
	code        string
	upstreamOpt string // stream_options sent upstream; "" means none
}

func parseCases() []parseCase {
	return []parseCase{
		{"plain", routeChat, `{"model":"a"}`, "a", false, false, "", ""},
		{"stream adds usage", routeChat, `{"model":"a","stream":true}`, "a", true, false,
			"", `{"include_usage":true}`},
		{"client asked", routeCompletions,
			`{"model":"a","stream":true,"stream_options":{"include_usage":true}}`,
			"a", true, true, "", `{"include_usage":true}`},
		{"client refused usage", routeChat,
			`{"model":"a","stream":true,"stream_options":{"include_usage":false}}`,
			"a", true, false, "", `{"include_usage":true}`},
		{"null options", routeChat, `{"model":"a","stream":true,"stream_options":null}`,
			"a", true, false, "", `{"include_usage":true}`},
		{"responses untouched", routeResponses, `{"model":"a","stream":true}`, "a", true,
			false, "", ""},
		{"case variant ignored", routeChat, `{"model":"a","Model":"b","MODEL":"c"}`,
			"a", false, false, "", ""},
		{"duplicate key: last wins", routeChat, `{"model":"a","model":"b"}`, "b", false,
			false, "", ""},
		{"stream a string", routeChat, `{"model":"a","stream":"true"}`, "", false, false,
			CodeInvalidValue, ""},
		{"stream a number", routeCompletions, `{"model":"a","stream":1}`, "", false, false,
			CodeInvalidValue, ""},
		{"stream an object", routeResponses, `{"model":"a","stream":{}}`, "", false, false,
			CodeInvalidValue, ""},
		{"stream case variant dropped", routeChat, `{"model":"a","Stream":"true"}`, "a",
			false, false, "", ""},
		{"stream null", routeChat, `{"model":"a","stream":null}`, "a", false, false, "", ""},
		{"stream false with options", routeChat,
			`{"model":"a","stream":false,"stream_options":{"include_usage":true}}`, "a",
			false, false, "", `{"include_usage":true}`},
		{"options a string", routeChat, `{"model":"a","stream":true,"stream_options":"x"}`,
			"", false, false, CodeInvalidValue, ""},
		{"options an array", routeEmbeddings, `{"model":"a","stream_options":[]}`,
			"", false, false, CodeInvalidValue, ""},
		{"include_usage a string", routeChat,
			`{"model":"a","stream":true,"stream_options":{"include_usage":"true"}}`,
			"", false, false, CodeInvalidValue, ""},
		{"include_usage case variant", routeChat,
			`{"model":"a","stream":true,"stream_options":{"Include_Usage":false}}`,
			"a", true, false, "", `{"include_usage":true}`},
		{"model too long", routeChat, `{"model":"` + strings.Repeat("m", 129) + `"}`,
			"", false, false, CodeInvalidValue, ""},
		{"model at the limit", routeChat, `{"model":"` + strings.Repeat("é", 128) + `"}`,
			strings.Repeat("é", 128), false, false, "", ""},
		{"not JSON", routeChat, `model=a`, "", false, false, CodeInvalidJSON, ""},
		{"trailing data", routeChat, `{"model":"a"} {}`, "", false, false, CodeInvalidJSON, ""},
		{"null", routeChat, `null`, "", false, false, CodeInvalidJSON, ""},
		{"empty", routeChat, ``, "", false, false, CodeInvalidJSON, ""},
		{"empty model", routeChat, `{"model":""}`, "", false, false, CodeMissingModel, ""},
		{"null model", routeChat, `{"model":null}`, "", false, false, CodeMissingModel, ""},
	}
}

func TestParseRequest(t *testing.T) {
	for _, tc := range parseCases() {
		t.Run(tc.name, func(t *testing.T) {
			req, aerr := parseRequest([]byte(tc.body), tc.rt)
			if tc.code != "" {
				if aerr == nil || aerr.code != tc.code {
					t.Fatalf("error %v, want %s", aerr, tc.code)
				}
				return
			}
			if aerr != nil {
				t.Fatalf("error %v", aerr)
			}
			if req.model != tc.model || req.stream != tc.stream ||
				req.clientUsage != tc.clientUsage {
				t.Errorf("got %+v", req)
			}
			var sent map[string]json.RawMessage
			if err := json.Unmarshal(req.body, &sent); err != nil {
				t.Fatalf("upstream body %s: %v", req.body, err)
			}
			if string(sent["stream_options"]) != tc.upstreamOpt {
				t.Errorf("stream_options %s, want %s", sent["stream_options"], tc.upstreamOpt)
			}
			var upstreamModel string
			_ = json.Unmarshal(sent["model"], &upstreamModel)
			if upstreamModel != tc.model || strings.Contains(string(req.body), `"Model"`) {
				t.Errorf("upstream would read model from %s, gateway checked %q",
					req.body, tc.model)
			}
		})
	}
}

func TestUsageConversion(t *testing.T) {
	tests := []struct {
		name string
		json string
		want model.Usage
	}{
		{"chat", `{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,` +
			`"prompt_tokens_details":{"cached_tokens":4}}`, use(10, 4, 5)},
		{"responses", `{"input_tokens":20,"output_tokens":7,"total_tokens":27,` +
			`"input_tokens_details":{"cached_tokens":10}}`, use(20, 10, 7)},
		{"embeddings", `{"prompt_tokens":8,"total_tokens":8}`, use(8, 0, 0)},
		{"total only", `{"total_tokens":9}`, use(0, 0, 9)},
		{"negative", `{"prompt_tokens":-5,"completion_tokens":-1}`, model.Usage{}},
		{"null details", `{"prompt_tokens":3,"prompt_tokens_details":null}`,
			use(3, 0, 0)},
	}
	for _, tc := range tests {
		var u usageJSON
		if err := json.Unmarshal([]byte(tc.json), &u); err != nil {
			t.Fatal(err)
		}
		if got := u.usage(); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// use builds a Usage: input, cached input, output.
func use(in, cached, out int64) model.Usage {
	return model.Usage{Input: in, CachedInput: cached, Output: out}
}

func TestUsageFromTail(t *testing.T) {
	tests := []struct {
		tail string
		ok   bool
		in   int64
	}{
		{`...0.3]}],"model":"e","usage":{"prompt_tokens":8,"total_tokens":8}}`, true, 8},
		{`"usage" : {"prompt_tokens":2}}`, true, 2},
		{`...,"text":"say \"usage\": {\"prompt_tokens\":1}"}`, false, 0},
		{`"text":"a\\","usage":{"prompt_tokens":4}}`, true, 4},
		{`"usage":{"prompt_tokens":4},"x":{"usage":null}}`, true, 4},
		{`no usage here`, false, 0},
		{`"usage":{"prompt_tok`, false, 0},
	}
	for _, tc := range tests {
		u, ok := usageFromTail([]byte(tc.tail))
		if ok != tc.ok || u.Input != tc.in {
			t.Errorf("%q: %+v %v, want input %d %v", tc.tail, u, ok, tc.in, tc.ok)
		}
	}
}

// TestAnswerBuffer keeps an answer whole when it is small, else its
// start and end only, and reads usage from the end or the start.
func TestAnswerBuffer(t *testing.T) {
	pad := strings.Repeat("y", 30<<10)
	tests := []struct {
		name  string
		parts []string
		cut   bool
		in    int64
		ok    bool
	}{
		{"small", []string{`{"usage":{"prompt_tokens":2}}`}, false, 2, true},
		{"small, null usage", []string{`{"usage":null}`}, false, 0, false},
		{"usage at the end", append(append([]string{`{"data":"`}, repeat(pad, 40)...),
			`","usage":{"prompt_tokens":3,"completion_tokens":4}}`), true, 3, true},
		{"usage at the start", append(append([]string{`{"usage":{"prompt_tokens":5},`,
			`"data":"`}, repeat(pad, 40)...), `"}`), true, 5, true},
		{"none", append(append([]string{`{"data":"`}, repeat(pad, 40)...), `"}`),
			true, 0, false},
		{"null at the end, object at the start", append(append([]string{
			`{"usage":{"prompt_tokens":6},"data":"`}, repeat(pad, 40)...),
			`","usage":null}`), true, 6, true},
	}
	for _, tc := range tests {
		b := &answerBuffer{}
		for _, p := range tc.parts {
			_, _ = b.Write([]byte(p))
		}
		u, ok := b.usage()
		if ok != tc.ok || u.Input != tc.in || b.cut != tc.cut {
			t.Errorf("%s: usage %+v %v, cut %v", tc.name, u, ok, b.cut)
		}
		if len(b.head) > headKeep || cap(b.tail) > 2*tailKeep {
			t.Errorf("%s: kept %d + %d bytes", tc.name, len(b.head), cap(b.tail))
		}
	}
}

// repeat is n copies of s.
func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestEventData(t *testing.T) {
	tests := []struct{ event, want string }{
		{"data: {\"a\":1}\n\n", `{"a":1}`},
		{"event: x\r\ndata:{}\r\n\r\n", `{}`},
		{"data: a\ndata: b\n\n", "a\nb"},
		{": comment\n\n", ""},
	}
	for _, tc := range tests {
		if got := string(eventData([]byte(tc.event))); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.event, got, tc.want)
		}
	}
}

func TestKeyFromRequest(t *testing.T) {
	key := "sk-" + strings.Repeat("A", 48)
	tests := []struct {
		headers  map[string]string
		want     string
		authSeen bool
	}{
		{map[string]string{"Authorization": "Bearer k1"}, "k1", false},
		{map[string]string{"Authorization": "BEARER   k1 "}, "k1", false},
		{map[string]string{"Authorization": "Basic abc", "Api-Key": "k2"}, "k2", false},
		{map[string]string{"X-Api-Key": "k3"}, "k3", false},
		{map[string]string{"Authorization": "Bearer k1", "X-Api-Key": "k3"}, "k1", false},
		{map[string]string{"Authorization": "Bearer", "Api-Key": "k2"}, "k2", false},
		{map[string]string{"Authorization": "Bearer   ", "X-Api-Key": "k3"}, "k3", false},
		{map[string]string{"Authorization": key}, key, false},
		{map[string]string{"Authorization": " " + key + " "}, key, false},
		{map[string]string{"Authorization": "Bearer"}, "", true},
		{map[string]string{"Authorization": "Basic abc"}, "", true},
		{map[string]string{"Authorization": "k1"}, "", true},
		{map[string]string{}, "", false},
	}
	for _, tc := range tests {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		for k, v := range tc.headers {
			r.Header.Set(k, v)
		}
		got, seen := keyFromRequest(r)
		if got != tc.want || seen != tc.authSeen {
			t.Errorf("%v: %q %v, want %q %v", tc.headers, safeText(got), seen,
				safeText(tc.want), tc.authSeen)
		}
	}
}

func TestMergeCharges(t *testing.T) {
	day := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	next := day.Add(2 * time.Minute)
	got := mergeCharges([]chargeItem{
		{tokenID: 1, amount: 5, at: day}, {tokenID: 2, amount: 7, at: day},
		{tokenID: 1, amount: 3, at: day}, {tokenID: 1, amount: 11, at: next},
	})
	if len(got) != 3 || got[0].Amount != 8 || got[1].Amount != 7 || got[2].Amount != 11 {
		t.Errorf("merged %+v", got)
	}
}

func TestUpstreamBase(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1", true},
		{"http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1", true},
		{"", "", false},
		{"127.0.0.1:8000", "", false},
		{"ftp://h/v1", "", false},
		{"http://user:pw@h/v1", "", false},
	}
	for _, tc := range tests {
		got, err := upstreamBase(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: %q %v", tc.in, got, err)
		}
	}
}
