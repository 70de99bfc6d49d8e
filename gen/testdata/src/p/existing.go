package p

// Taken is a type a cache cannot be named after.
type Taken struct{}

// NewUsed makes -name=Used collide through its constructor.
func NewUsed() {}
