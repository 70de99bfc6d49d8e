package clash

// time, declared by a test file only, still clashes with an import named
// time once the package is tested.
var time = "not the package"
