// comment
module example.com/m

go 1.21
toolchain go1.21.5
godebug default=go1.21
godebug (
	panicnil=1
)

require (
	golang.org/x/text v0.3.0 // indirect
	"example.com/quoted" v1.2.3
	`example.com/raw` v2.0.0+incompatible
)
require example.com/b v1.0.0

exclude example.com/c v1.1.0
replace example.com/a => ./local
replace example.com/b v1.0.0 => example.com/fork v1.0.1
retract [v1.0.0, v1.0.5] // bad
retract v0.9.0
