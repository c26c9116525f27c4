package model

// TimeLayout is how the console's table and the scripts' tables show a
// time, in the reader's local zone: "Jan 02, 2006, 15:04:05".
const TimeLayout = "Jan 02, 2006, 15:04:05"

// QuotaText is a token's quota as the tables show it in full:
// "Unlimited · $3.20 used" for an unlimited token, else what remains and
// the limit, "$7.50 / $12.50".
func (t Token) QuotaText() string {
	if t.Unlimited {
		return "Unlimited · " + t.Used.Format() + " used"
	}
	return t.Remaining().Format() + " / " + t.Limit.Format()
}
