package gateway

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"keyward/keys"
	"keyward/model"
)

// sdkClient is the official Go SDK pointed at the gateway, without
// retries so each refusal is seen once.
func (e *env) sdkClient(key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(e.srv.URL+"/v1/"),
		option.WithAPIKey(key), option.WithMaxRetries(0),
		option.WithHTTPClient(e.srv.Client()))
}

func sdkChat(c openai.Client, mdl string) (*openai.ChatCompletion, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    mdl,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
}

// TestOpenAISDK drives the gateway with github.com/openai/openai-go/v3: a
// chat completion and a stream succeed and are charged, and each refusal
// surfaces as *openai.Error with its status and code.
func TestOpenAISDK(t *testing.T) {
	e := newEnv(t)
	tok := e.limited()
	off := e.limited()
	_, _ = e.db.SetEnabled("t", off.ID, false)
	spent := e.token(model.Spec{Name: "spent"})
	unknown, _ := keys.Generate()

	got, err := sdkChat(e.sdkClient(tok.Key), "m1")
	if err != nil {
		t.Fatalf("chat through the gateway: %v", err)
	}
	if got.Choices[0].Message.Content != "Hello!" || got.Usage.PromptTokens != fakePrompt {
		t.Errorf("completion %+v", got)
	}
	testSDKStream(t, e.sdkClient(tok.Key))
	tests := []struct {
		name, key, model string
		status           int
		code             string
	}{
		{"unknown key", unknown, "m1", http.StatusUnauthorized, CodeInvalidKey},
		{"disabled key", off.Key, "m1", http.StatusUnauthorized, CodeInvalidKey},
		{"model not allowed", tok.Key, "m3", http.StatusForbidden, CodeModelNotAllowed},
		{"quota", spent.Key, "m1", http.StatusTooManyRequests, CodeQuota},
	}
	for _, tc := range tests {
		_, err := sdkChat(e.sdkClient(tc.key), tc.model)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) {
			t.Errorf("%s: error %v is not *openai.Error", tc.name, err)
			continue
		}
		if apiErr.StatusCode != tc.status || apiErr.Code != tc.code || apiErr.Message == "" {
			t.Errorf("%s: status %d code %q message %q, want %d %q", tc.name,
				apiErr.StatusCode, apiErr.Code, apiErr.Message, tc.status, tc.code)
		}
	}
	e.settle()
	if used := e.used(tok.ID); used != 2*chatCost {
		t.Errorf("Used %d, want %d for one completion and one stream", used, 2*chatCost)
	}
}

// testSDKStream streams a chat through the SDK without asking for usage:
// the SDK sees the content and no usage chunk.
func testSDKStream(t *testing.T, c openai.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:    "m1",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	text, usageChunks := "", 0
	for stream.Next() {
		chunk := stream.Current()
		if len(chunk.Choices) > 0 {
			text += chunk.Choices[0].Delta.Content
		} else if chunk.Usage.TotalTokens > 0 {
			usageChunks++
		}
	}
	if err := stream.Err(); err != nil || text != "Hello!" || usageChunks != 0 {
		t.Errorf("stream: text %q, %d usage chunks, err %v", text, usageChunks, err)
	}
}
