package model

import "time"

// Action names what an audit event did.
type Action string

// The actions the audit log records.
const (
	ActionCreate      Action = "create"
	ActionUpdate      Action = "update"
	ActionEnable      Action = "enable"
	ActionDisable     Action = "disable"
	ActionDelete      Action = "delete"
	ActionModelAdd    Action = "model.add"
	ActionModelRemove Action = "model.remove"
	ActionModelPrice  Action = "model.price"
)

// FieldChange records one field's old and new value, as text. Keys never
// appear here.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Event is one entry in the audit log.
type Event struct {
	Seq       uint64        `json:"seq"`
	Time      time.Time     `json:"time"`
	Actor     string        `json:"actor"`
	Action    Action        `json:"action"`
	TokenID   uint64        `json:"token_id,omitempty"`
	TokenName string        `json:"token_name,omitempty"`
	Subject   string        `json:"subject,omitempty"` // model name for catalog events
	Changes   []FieldChange `json:"changes,omitempty"`
}
