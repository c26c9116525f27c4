package model

import (
	"time"
)

// Token is one API key with its quota and model allowlist.
type Token struct {
	// ID comes from the store's bucket sequence and is never reused.
	ID   uint64
	Name string
	// Key is the secret. It is shown in full only where a person asked to
	// reveal or copy it.
	Key     string
	Enabled bool
	// Unlimited tokens are never refused for spending, but Used still grows.
	// Limit keeps its value while Unlimited is on.
	Unlimited bool
	// Limit is the total quota.
	Limit Money
	// Used is what the token has spent so far.
	Used Money
	// Models is the allowlist; empty means every model is allowed.
	Models    []string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version is bumped by every change, for optimistic concurrency.
	Version uint64
}

// Remaining is what is left of the quota: max(0, Limit-Used). It ignores
// Unlimited; callers show "Unlimited" themselves.
func (t Token) Remaining() Money {
	if t.Used >= t.Limit {
		return 0
	}
	return t.Limit - t.Used
}

// Exhausted reports whether a limited token has used its whole quota.
func (t Token) Exhausted() bool {
	return !t.Unlimited && t.Used >= t.Limit
}

// AllowsModel reports whether the allowlist admits model. An empty
// allowlist admits every model.
func (t Token) AllowsModel(model string) bool {
	if len(t.Models) == 0 {
		return true
	}
	for _, m := range t.Models {
		if m == model {
			return true
		}
	}
	return false
}

// Status is a token's state in words.
type Status int

// The statuses a token can be in, in order of precedence.
const (
	StatusEnabled Status = iota
	StatusDisabled
	StatusExhausted
)

// String returns the status as the console shows it.
func (s Status) String() string {
	switch s {
	case StatusDisabled:
		return "Disabled"
	case StatusExhausted:
		return "Exhausted"
	default:
		return "Enabled"
	}
}

// Status reports the token's state: Disabled wins over Exhausted.
func (t Token) Status() Status {
	switch {
	case !t.Enabled:
		return StatusDisabled
	case t.Exhausted():
		return StatusExhausted
	default:
		return StatusEnabled
	}
}

// AllModelsLabel is how every screen shows an empty allowlist.
const AllModelsLabel = "All models"

// Spec is what a person chooses when creating a token.
type Spec struct {
	Name      string
	Unlimited bool
	Limit     Money
	Models    []string
}

// Normalize trims and validates the spec, returning the cleaned copy.
func (s Spec) Normalize() (Spec, error) {
	name, err := CleanName(s.Name)
	if err != nil {
		return Spec{}, err
	}
	if err := CheckLimit(s.Limit); err != nil {
		return Spec{}, err
	}
	models, err := CleanModels(s.Models)
	if err != nil {
		return Spec{}, err
	}
	return Spec{Name: name, Unlimited: s.Unlimited, Limit: s.Limit, Models: models}, nil
}

// Changes lists the fields an update sets; nil fields stay as they are.
type Changes struct {
	Name      *string
	Unlimited *bool
	Limit     *Money
	Models    *[]string
}

// Normalize trims and validates the fields that are set.
func (c Changes) Normalize() (Changes, error) {
	out := c
	if c.Name != nil {
		name, err := CleanName(*c.Name)
		if err != nil {
			return Changes{}, err
		}
		out.Name = &name
	}
	if c.Limit != nil {
		if err := CheckLimit(*c.Limit); err != nil {
			return Changes{}, err
		}
	}
	if c.Models != nil {
		models, err := CleanModels(*c.Models)
		if err != nil {
			return Changes{}, err
		}
		out.Models = &models
	}
	return out, nil
}

// Empty reports whether no field is set.
func (c Changes) Empty() bool {
	return c.Name == nil && c.Unlimited == nil && c.Limit == nil && c.Models == nil
}
