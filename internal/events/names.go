package events

// Subjects on which commands are published.
const (
	SubjectAssign  = "license.assign"
	SubjectRelease = "license.release"
	SubjectList    = "license.list"
)

// Subjects on which results are published.
const (
	SubjectAssigned = "license.assigned"
	SubjectReleased = "license.released"
	SubjectListed   = "license.listed"
	SubjectFailed   = "license.failed"
)

// Streams, the durable consumer and the KV buckets the worker creates.
const (
	CommandStream  = "LICENSE_COMMANDS"
	EventStream    = "LICENSE_EVENTS"
	WorkerConsumer = "seatkeeper-worker"
	CommandBucket  = "seatkeeper_commands"
	LedgerBucket   = "seatkeeper_ledger"
)

// Envelope constants.
const (
	SpecVersion     = "1.0"
	ContentType     = "application/cloudevents+json"
	DataContentType = "application/json"
	ResultSource    = "seatkeeper/worker"
	// HeaderContentType is the NATS header carrying ContentType.
	HeaderContentType = "Content-Type"
)

// CommandSubjects lists the subjects of the command stream.
var CommandSubjects = []string{SubjectAssign, SubjectRelease, SubjectList, SubjectReclaim}

// ResultSubjects lists the subjects of the result stream.
var ResultSubjects = []string{SubjectAssigned, SubjectReleased, SubjectListed, SubjectFailed}

// Vendors lists the vendor names a command may name.
var Vendors = []string{"uipath", "msp360", "licensespring", "arcgis", "m365"}

// KnownVendor reports whether name is one of Vendors.
func KnownVendor(name string) bool {
	for _, v := range Vendors {
		if v == name {
			return true
		}
	}
	return false
}

// ResultSubjectFor returns the subject on which a successful result of a
// command of type commandType is published.
func ResultSubjectFor(commandType string) string {
	switch commandType {
	case SubjectAssign:
		return SubjectAssigned
	case SubjectRelease:
		return SubjectReleased
	case SubjectList:
		return SubjectListed
	case SubjectReclaim:
		return SubjectReclaimed
	}
	return SubjectFailed
}

// ResultID returns the id of the result of the command with id commandID.
func ResultID(commandID string) string { return commandID + "/result" }
