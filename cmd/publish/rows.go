package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Input formats of publish batch.
const (
	formatCSV    = "csv"
	formatNDJSON = "ndjson"
)

// csvHeader is the CSV header publish batch reads and writes.
var csvHeader = []string{"type", "vendor", "account", "user", "licenses", "reason", "id", "time", "until"}

// row is one command of a batch file.
type row struct {
	line int
	// record (CSV) or raw (NDJSON) is the row as it was in the file, for
	// --failed-out.
	record []string
	raw    []byte
	cmd    events.Command
	// payload is what is published: the command as validated.
	payload []byte
	err     error

	// The outcome: status is the result's type without "license." (or
	// invalid, publish_error, timed_out, published), code its error code.
	status    string
	code      string
	message   string
	duplicate bool
	result    result
}

// flatRow is a row's fields, as the CSV columns or a flat NDJSON object.
type flatRow struct {
	Type     string   `json:"type"`
	Vendor   string   `json:"vendor"`
	Account  string   `json:"account,omitempty"`
	User     string   `json:"user,omitempty"`
	Licenses []string `json:"licenses,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	ID       string   `json:"id,omitempty"`
	Time     string   `json:"time,omitempty"`
	DryRun   bool     `json:"dry_run,omitempty"`
	// Until, on an assign: an RFC 3339 time or a span from now ("90d").
	Until string `json:"until,omitempty"`
}

// formatOf returns the format of path by its extension.
func formatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return formatCSV, nil
	case ".ndjson", ".jsonl", ".json":
		return formatNDJSON, nil
	}
	return "", fmt.Errorf("cannot tell the format of %q: name it .csv or .ndjson, or give --format", path)
}

// input is a batch file, read.
type input struct {
	format string
	// header is the CSV header as it was in the file.
	header []string
	rows   []*row
}

// readInput reads every row of r. A row that cannot be turned into a valid
// command carries its error; err is only for a file that cannot be read at
// all.
func readInput(r io.Reader, format, source string) (*input, error) {
	in := &input{format: format}
	var err error
	if format == formatCSV {
		in.header, in.rows, err = readCSV(r, source)
	} else {
		in.rows, err = readNDJSON(r, source)
	}
	if err != nil {
		return nil, err
	}
	markDuplicates(in.rows)
	return in, nil
}

func readCSV(r io.Reader, source string) ([]string, []*row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("line 1: want the header %s: %w", strings.Join(csvHeader, ","), err)
	}
	cols := make(map[string]int)
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if isErrorColumn(h) {
			continue // a failed-rows file fed back
		}
		if !slices.Contains(csvHeader, h) {
			return nil, nil, fmt.Errorf("line 1: unknown column %q: want %s", h, strings.Join(csvHeader, ","))
		}
		cols[h] = i
	}
	for _, need := range []string{"type", "vendor"} {
		if _, ok := cols[need]; !ok {
			return nil, nil, fmt.Errorf("line 1: column %q is missing: want %s", need, strings.Join(csvHeader, ","))
		}
	}
	var rows []*row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return header, rows, nil
		}
		var perr *csv.ParseError
		if err != nil && !errors.As(err, &perr) {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		if perr != nil {
			line = perr.StartLine
		}
		rw := &row{line: line, record: rec}
		rows = append(rows, rw)
		if perr != nil && !errors.Is(perr.Err, csv.ErrFieldCount) {
			rw.err = perr.Err
			continue
		}
		if len(rec) != len(header) {
			rw.err = fmt.Errorf("%d fields, want %d (as the header)", len(rec), len(header))
			continue
		}
		get := func(col string) string {
			if i, ok := cols[col]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		f := flatRow{
			Type: get("type"), Vendor: get("vendor"), Account: get("account"), User: get("user"),
			Licenses: splitLicenses(get("licenses")), Reason: get("reason"), ID: get("id"), Time: get("time"),
			Until: get("until"),
		}
		rw.cmd, rw.payload, rw.err = f.command(source)
	}
}

func splitLicenses(s string) []string {
	return trimAll(strings.Split(s, ";"))
}

func readNDJSON(r io.Reader, source string) ([]*row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 2*events.MaxPayloadBytes)
	var rows []*row
	for n := 1; sc.Scan(); n++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		rw := &row{line: n, raw: bytes.Clone(text)}
		rows = append(rows, rw)
		rw.cmd, rw.payload, rw.err = ndjsonCommand(stripError(rw.raw), source)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", len(rows)+1, err)
	}
	return rows, nil
}

// ndjsonCommand reads one NDJSON line: a full CloudEvent (it has
// specversion), published as it is, or a flat object of the CSV's fields.
func ndjsonCommand(line []byte, source string) (events.Command, []byte, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(line, &probe); err != nil {
		return events.Command{}, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, ok := probe["specversion"]; ok {
		var typ string
		_ = json.Unmarshal(probe["type"], &typ)
		cmd, err := events.DecodeCommand(typ, line)
		return cmd, line, err
	}
	var f flatRow
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return events.Command{}, nil, err
	}
	return f.command(source)
}

// command builds the row's command and validates it as the worker will.
// Without an id, the id is a hash of the normalized row, so that the same
// file published twice is the same commands.
func (f flatRow) command(source string) (events.Command, []byte, error) {
	f = f.trimmed()
	typ := f.Type
	if typ != "" && !strings.HasPrefix(typ, "license.") {
		typ = "license." + typ
	}
	at := time.Now()
	if f.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, f.Time)
		if err != nil {
			return events.Command{}, nil, fmt.Errorf("time %q is not an RFC 3339 timestamp", f.Time)
		}
		at = t
	}
	until, err := parseUntil(f.Until, at)
	if err != nil {
		return events.Command{}, nil, err
	}
	id := f.ID
	if id == "" {
		id = rowID(typ, f)
	}
	cmd := events.NewCommand(typ, source, id, at, events.CommandData{
		Vendor: f.Vendor, Account: f.Account, User: f.User, Licenses: f.Licenses,
		Reason: f.Reason, DryRun: f.DryRun, Until: until,
	})
	payload, err := json.Marshal(cmd)
	if err != nil {
		return cmd, nil, err
	}
	if _, err := events.DecodeCommand(typ, payload); err != nil {
		return cmd, nil, err
	}
	return cmd, payload, nil
}

// trimmed returns the row with the spaces at the edges of its values cut,
// as a person typing or a spreadsheet exporting leaves them: the wire
// contract refuses them.
func (f flatRow) trimmed() flatRow {
	for _, p := range []*string{&f.Type, &f.Vendor, &f.Account, &f.User, &f.Reason, &f.ID, &f.Time} {
		*p = strings.TrimSpace(*p)
	}
	f.Licenses = trimAll(f.Licenses)
	return f
}

// trimAll trims every value of list and drops the empty ones.
func trimAll(list []string) []string {
	var out []string
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// rowID derives a command id from what a row asks for. The time takes part
// when the row has one: without an id or a time, the same row published a
// month later is the same command, and the worker replays its old result.
func rowID(typ string, f flatRow) string {
	var t string
	if f.Time != "" {
		if at, err := time.Parse(time.RFC3339Nano, f.Time); err == nil {
			t = at.UTC().Format(time.RFC3339Nano)
		}
	}
	norm := []string{typ, f.Vendor, f.Account, f.User, strings.Join(f.Licenses, ";"), f.Reason, t, fmt.Sprint(f.DryRun)}
	if f.Until != "" {
		norm = append(norm, f.Until)
	}
	sum := sha256.Sum256([]byte(strings.Join(norm, "\x1f")))
	return "batch-" + hex.EncodeToString(sum[:12])
}

// markDuplicates refuses a row whose command id an earlier row has: it
// would be dropped as a duplicate, which is never what a file means.
func markDuplicates(rows []*row) {
	first := make(map[string]int)
	for _, r := range rows {
		if r.err != nil {
			continue
		}
		if l, ok := first[r.cmd.ID]; ok {
			r.err = fmt.Errorf("same command as line %d (id %s)", l, r.cmd.ID)
			continue
		}
		first[r.cmd.ID] = r.line
	}
}
