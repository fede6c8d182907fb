package compose

import (
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/config"
)

// brokerPin is aws.pin_urls for the broker; nil when unset.
func brokerPin(p *config.PinURLs) *broker.Pin {
	if p == nil {
		return nil
	}
	return &broker.Pin{BrokerVPCEs: p.BrokerSourceVPCEs, BrokerIPs: p.BrokerSourceIPs,
		ClientAddress: p.PinsClientAddress(), ClientVPCEs: p.ClientVPCEs, IPv6Prefix: p.IPv6Prefix}
}
