package gateway

import "keyward/model"

// usageJSON is the usage object of every metered route: chat and
// completions (prompt_/completion_tokens), responses (input_/output_
// tokens) and embeddings (prompt_tokens, total_tokens).
type usageJSON struct {
	PromptTokens     int64         `json:"prompt_tokens"`
	CompletionTokens int64         `json:"completion_tokens"`
	InputTokens      int64         `json:"input_tokens"`
	OutputTokens     int64         `json:"output_tokens"`
	TotalTokens      int64         `json:"total_tokens"`
	PromptDetails    *cachedTokens `json:"prompt_tokens_details"`
	InputDetails     *cachedTokens `json:"input_tokens_details"`
}

type cachedTokens struct {
	CachedTokens int64 `json:"cached_tokens"`
}

// usage converts the upstream's counts. Negative counts are read as zero;
// a total above input plus output is charged as output, the dearer side,
// so that a request is never undercharged.
func (u *usageJSON) usage() model.Usage {
	out := model.Usage{
		Input:  max(0, u.PromptTokens, u.InputTokens),
		Output: max(0, u.CompletionTokens, u.OutputTokens),
	}
	for _, d := range []*cachedTokens{u.PromptDetails, u.InputDetails} {
		if d != nil {
			out.CachedInput = max(out.CachedInput, d.CachedTokens)
		}
	}
	if extra := u.TotalTokens - out.Input - out.Output; extra > 0 {
		out.Output += extra
	}
	return out
}

// topUsage is the part of a JSON response the gateway reads. Field
// matching is case-insensitive, which cannot cost a client anything here:
// an upstream answer is trusted.
type topUsage struct {
	Usage *usageJSON `json:"usage"`
}
