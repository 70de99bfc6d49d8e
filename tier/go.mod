module github.com/hotcache/hotcache/tier

go 1.25.0

require (
	github.com/hotcache/hotcache v0.0.0
	github.com/redis/rueidis v1.0.79
)

require golang.org/x/sys v0.47.0 // indirect

replace github.com/hotcache/hotcache => ../
