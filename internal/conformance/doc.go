// Package conformance is the behaviour suite that every hotcache cache
// implementation runs: the generic shard.Cache and each cache that cachegen
// generates. It checks the contract users rely on through the public method
// set only, including a differential run against the reference model.
package conformance
