package render

import "time"

// AppendTime appends t as every output prints a time: RFC 3339 in UTC
// with nanoseconds when nano is true, else microseconds, trailing zeros
// kept so that columns line up ("2026-11-24T03:18:54.123456Z"); nothing
// for the zero time. It is the one timestamp formatter of flowverify.
func AppendTime(b []byte, t time.Time, nano bool) []byte {
	if t.IsZero() {
		return b
	}
	t = t.UTC()
	if year, month, day := t.Date(); year >= 0 && year <= 9999 {
		// The fixed layout by hand (what AppendFormat prints for these years).
		hour, minute, sec := t.Clock()
		b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
			byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
			byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
			byte('0'+sec/10), byte('0'+sec%10), '.')
		return appendFraction(b, t.Nanosecond(), nano)
	}
	if nano {
		return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000000Z07:00")
	}
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
}

// appendFraction appends the fractional seconds of ns nanoseconds, 9
// digits when nano is true, else 6, and the 'Z' that ends AppendTime.
func appendFraction(b []byte, ns int, nano bool) []byte {
	frac, digits := ns, 9
	if !nano {
		frac, digits = ns/1000, 6
	}
	var d [9]byte
	for i := digits - 1; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	b = append(b, d[:digits]...)
	return append(b, 'Z')
}

// FormatTime returns AppendTime(nil, t, nano) as a string ("" for the zero time).
func FormatTime(t time.Time, nano bool) string {
	if t.IsZero() {
		return ""
	}
	var buf [40]byte
	return string(AppendTime(buf[:0], t, nano))
}

// FormatTimeSeconds formats t in RFC 3339 UTC to the second
// ("2026-11-24T03:18:54Z"), as synth's observation window is printed.
func FormatTimeSeconds(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// formatTimeMillis formats t in RFC 3339 UTC to the millisecond
// ("2026-11-24T03:18:54.120Z"), as synth's holdout cut is printed.
func formatTimeMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
