package p

// Fixture is declared only in a test file.
type Fixture struct {
	Name string
	N    int
}

// TestOnly collides with -name=TestOnly once the package is tested.
type TestOnly struct{}
