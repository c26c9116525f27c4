package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error codes Keyward answers with, in OpenAI's error shape.
const (
	CodeInvalidKey      = "invalid_api_key"
	CodeModelNotAllowed = "model_not_allowed"
	CodeModelNotPriced  = "model_not_priced"
	CodeQuota           = "insufficient_quota"
	CodeInvalidJSON     = "invalid_json"
	CodeMissingModel    = "missing_model"
	CodeTooLarge        = "request_too_large"
	CodeUpstreamDown    = "upstream_unavailable"
	CodeUpstreamAuth    = "upstream_auth_failed"
	CodeInvalidValue    = "invalid_value"
	CodeInvalidBody     = "invalid_body"
	CodeInvalidPath     = "invalid_path"
	CodeMethod          = "method_not_allowed"
	CodeNotFound        = "unknown_url"
	CodeInternal        = "internal_error"
)

// apiError is a refusal or failure answered to the client as
// {"error":{"message","type","param","code"}}. Its message never holds a
// key.
type apiError struct {
	status  int
	message string
	typ     string
	param   string // "" is sent as null
	code    string
	allow   string // the Allow header of a 405
}

// errorBody is the JSON form of apiError.
type errorBody struct {
	Error errorFields `json:"error"`
}

type errorFields struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// write sends the error to the client.
func (e *apiError) write(w http.ResponseWriter) {
	f := errorFields{Message: e.message, Type: e.typ, Code: e.code}
	if e.param != "" {
		f.Param = &e.param
	}
	body, err := json.Marshal(errorBody{Error: f})
	if err != nil { // cannot happen with string fields; answer plainly
		http.Error(w, e.message, e.status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	if e.allow != "" {
		h.Set("Allow", e.allow)
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(append(body, '\n'))
}

// Error lets an apiError travel as an error.
func (e *apiError) Error() string { return e.code + ": " + e.message }

func errNoKey() *apiError {
	return &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error",
		code: CodeInvalidKey, message: "No API key provided. Send it as " +
			"'Authorization: Bearer KEY' (or in an api-key or x-api-key header)."}
}

// errKeyScheme answers an Authorization header that holds no key Keyward
// can read (another scheme, or Bearer with nothing after it).
func errKeyScheme() *apiError {
	return &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error",
		code: CodeInvalidKey, message: "No API key found in the Authorization " +
			"header. Send it as 'Authorization: Bearer KEY' (or in an api-key or " +
			"x-api-key header)."}
}

func errBadKey() *apiError {
	return &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error",
		code: CodeInvalidKey, message: "Incorrect API key provided."}
}

func errDisabledKey() *apiError {
	return &apiError{status: http.StatusUnauthorized, typ: "invalid_request_error",
		code: CodeInvalidKey, message: "This API key is disabled. " +
			"Ask the person who gave it to you to enable it."}
}

func errModelNotAllowed(model string) *apiError {
	return &apiError{status: http.StatusForbidden, typ: "invalid_request_error",
		param: "model", code: CodeModelNotAllowed, message: fmt.Sprintf(
			"This API key may not use the model %q.", safeText(model))}
}

func errModelNotPriced(model string) *apiError {
	return &apiError{status: http.StatusForbidden, typ: "invalid_request_error",
		param: "model", code: CodeModelNotPriced, message: fmt.Sprintf(
			"The model %q has no price set, and this gateway refuses "+
				"unpriced models.", safeText(model))}
}

func errQuota() *apiError {
	return &apiError{status: http.StatusTooManyRequests, typ: "insufficient_quota",
		code: CodeQuota, message: "This API key has used its whole quota. " +
			"Ask the person who gave it to you to raise it."}
}

func errInvalidJSON(detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
		code: CodeInvalidJSON, message: "The request body is not a JSON object: " +
			detail}
}

func errMissingModel() *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
		param: "model", code: CodeMissingModel,
		message: "The request body has no \"model\" string."}
}

func errTooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge,
		typ: "invalid_request_error", code: CodeTooLarge, message: fmt.Sprintf(
			"The request body is over this gateway's limit of %d bytes.", limit)}
}

func errUpstreamDown() *apiError {
	return &apiError{status: http.StatusBadGateway, typ: "server_error",
		code: CodeUpstreamDown, message: "The upstream model server did not " +
			"answer. Nothing was charged; try again later."}
}

func errUpstreamAuth() *apiError {
	return &apiError{status: http.StatusBadGateway, typ: "server_error",
		code: CodeUpstreamAuth, message: "The upstream model server refused this " +
			"gateway's own credentials (its upstream key). Your API key was " +
			"accepted; nothing was charged. Tell the person who runs the gateway."}
}

// errInvalidValue refuses a field of the request body that has the wrong
// type or size; param names the field.
func errInvalidValue(param, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
		param: param, code: CodeInvalidValue, message: message}
}

func errInvalidBody(detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
		code: CodeInvalidBody, message: "The request body could not be read: " +
			detail}
}

// errUncheckedBody refuses a passthrough body that the gateway could not
// read with certainty, for a token whose models are restricted.
func errUncheckedBody() *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
		code: CodeInvalidBody, message: "The gateway could not read the request " +
			"body to check its model. Send one JSON value, a URL-encoded form or " +
			"a multipart/form-data body, without a Content-Encoding."}
}

// errUncheckedQuery refuses a query string whose model parameter could
// be read in more than one way.
func errUncheckedQuery() *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
		param: "model", code: CodeInvalidValue, message: "The gateway could not " +
			"read the query string to check its model: it has a malformed " +
			"%-escape. Escape it properly."}
}

func errInvalidPath() *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
		code: CodeInvalidPath, message: "The URL path is not in plain form: it " +
			"holds an empty, '.' or '..' segment, an encoded '/', a ';', a space, " +
			"a backslash or a control character. Send the plain path."}
}

// errMethod refuses a method that a path does not take; allow lists the
// ones it does.
func errMethod(allow string) *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, typ: "invalid_request_error",
		code: CodeMethod, allow: allow, message: "This gateway takes only " + allow +
			" on this path."}
}

func errNoPassthrough() *apiError {
	return &apiError{status: http.StatusNotFound, typ: "invalid_request_error",
		code: CodeNotFound, message: "This gateway forwards only the metered " +
			"routes (chat/completions, completions, embeddings, responses) and " +
			"the model list."}
}

func errNotFound() *apiError {
	return &apiError{status: http.StatusNotFound, typ: "invalid_request_error",
		code: CodeNotFound, message: "Unknown URL; this gateway serves " +
			"/v1/ routes, /auth and /healthz."}
}

func errInternal() *apiError {
	return &apiError{status: http.StatusInternalServerError, typ: "server_error",
		code: CodeInternal, message: "The gateway could not read its token " +
			"store. Nothing was charged; try again later."}
}
