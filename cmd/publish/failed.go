package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"strings"
)

// writeFailed writes the rows that did not succeed to path, in the input's
// format (see writeRows).
func writeFailed(path string, in *input, rows []*row) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := in.writeRows(file, rows); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// Columns (CSV) and members (NDJSON) the failed-rows file adds to each row;
// batch reads them back and ignores them, so the file can be fixed and fed
// back as it is.
const (
	colErrorCode    = "error_code"
	colErrorMessage = "error_message"
)

// writeRows writes rows as they were in the input, in its format, with the
// error code and message of each added, so that the file can be fixed and
// fed back to publish batch.
func (in *input) writeRows(w io.Writer, rows []*row) error {
	if in.format == formatNDJSON {
		bw := bufio.NewWriter(w)
		for _, r := range rows {
			bw.Write(withError(r.raw, r.code, r.message))
			bw.WriteByte('\n')
		}
		return bw.Flush()
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(append(withoutErrorColumns(in.header, in.header), colErrorCode, colErrorMessage))
	for _, r := range rows {
		_ = cw.Write(append(withoutErrorColumns(in.header, r.record), r.code, r.message))
	}
	cw.Flush()
	return cw.Error()
}

// withoutErrorColumns returns rec without the columns the header names
// error_code and error_message: a failed-rows file fed back has them.
func withoutErrorColumns(header, rec []string) []string {
	out := make([]string, 0, len(rec)+2)
	for i, v := range rec {
		if i < len(header) && isErrorColumn(header[i]) {
			continue
		}
		out = append(out, v)
	}
	return out
}

func isErrorColumn(h string) bool {
	h = strings.ToLower(strings.TrimSpace(h))
	return h == colErrorCode || h == colErrorMessage
}

// withError returns the NDJSON line raw with error_code and error_message
// added as its last members, the rest as it was. A line that is not a JSON
// object becomes one, its text under "line".
func withError(raw []byte, code, message string) []byte {
	raw = stripError(raw)
	tail := []byte(`"` + colErrorCode + `":` + string(mustJSON(code)) + `,"` + colErrorMessage + `":` + string(mustJSON(message)) + `}`)
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return append([]byte(`{"line":`+string(mustJSON(string(raw)))+`,`), tail...)
	}
	body := bytes.TrimSuffix(bytes.TrimSpace(raw), []byte("}"))
	if len(obj) > 0 {
		body = append(body, ',')
	}
	return append(bytes.Clone(body), tail...)
}

// stripError removes the members withError adds, so that a failed-rows file
// fed back reads as its rows did.
func stripError(line []byte) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(line, &obj) != nil {
		return line
	}
	_, c := obj[colErrorCode]
	_, m := obj[colErrorMessage]
	if !c && !m {
		return line
	}
	delete(obj, colErrorCode)
	delete(obj, colErrorMessage)
	b, err := json.Marshal(obj)
	if err != nil {
		return line
	}
	return b
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
